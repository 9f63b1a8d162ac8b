/**
 * `status` as a person reads it: aligned tables — resources, then one row per service
 * with its key figures (its numbers, and an error when it has one); everything else
 * (per-shard detail, nested figures, names) only with --verbose. --json has it all.
 */
import type { ResourceStatus } from '../../ops/status.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { table } from '../output.ts';

export interface RuntimeView {
  readonly running: boolean;
  readonly mode: string;
  readonly pid?: number | undefined;
}

type Figures = Record<string, unknown>;

export function renderStatus(
  target: string,
  dataDir: string,
  runtime: RuntimeView,
  r: ResourceStatus,
  services: Record<string, Figures>,
  verbose: boolean,
): string {
  const head =
    target === 'aws'
      ? 'target: aws'
      : runtime.pid
        ? `embedded stack running (pid ${runtime.pid}, ${runtime.mode}) on ${dataDir}`
        : `no stack was running on ${dataDir}; started one for this command (no services: their figures show while \`dubegrid up\` runs)`;
  const out = [head, '', table(['resource', 'name', 'exists', 'contents'], resourceRows(r))];
  // status creates nothing (it reports what exists): say how an empty data dir gets its resources
  if (target === 'local' && !r.bucket.exists && !r.stream.exists)
    out.push(
      'nothing exists on this data dir yet: `npx dubegrid up` creates it, `npx dubegrid start` also loads a sample',
    );
  const approximate = Object.values(r.tables).some((t) => t.items_approximate);
  if (approximate)
    out.push(
      '≈ item counts are DescribeTable’s (refreshed about every 6 h on AWS, not kept by dynalite); --exact counts',
    );
  const names = Object.keys(services).sort();
  if (names.length) {
    out.push(
      '',
      table(
        ['service', 'key figures'],
        names.map((n) => [n, keyFigures(services[n] ?? {})]),
      ),
    );
  }
  if (verbose) for (const n of names) out.push(...detail(n, services[n] ?? {}));
  else if (names.some((n) => Object.values(services[n] ?? {}).some(isNested)))
    out.push('', '(per-shard and nested figures: --verbose; everything: --json)');
  return out.join('\n');
}

function resourceRows(r: ResourceStatus): unknown[][] {
  return [
    [
      'bucket',
      r.bucket.name,
      yes(r.bucket.exists),
      Object.entries(r.bucket.objects)
        .map(([z, n]) => `${PREFIXES[z as keyof typeof PREFIXES] ?? z} ${n}`)
        .join(', '),
    ],
    [
      'stream',
      r.stream.name,
      yes(r.stream.exists),
      r.stream.exists
        ? `${r.stream.records === undefined ? '' : `${r.stream.records}${r.stream.records_truncated ? '+' : ''} records, `}${r.stream.open_shards}/${r.stream.shards} shards open`
        : '',
    ],
    ...Object.values(r.tables).map((t) => [
      'table',
      t.name,
      yes(t.exists),
      t.exists ? `${t.items_approximate ? '≈' : ''}${t.items} items (${t.key_schema})` : '',
    ]),
  ];
}

const isNested = (v: unknown): boolean => typeof v === 'object' && v !== null;

/** A service's numbers (and its last error) on one line: `files_done 3 · retries 0`. */
export function keyFigures(figures: Figures): string {
  const parts = Object.entries(figures)
    .filter(([k, v]) => typeof v === 'number' || typeof v === 'boolean' || k === 'last_error')
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(' · ');
}

/** --verbose: a service's strings and nested figures, and its shards as a table. */
function detail(name: string, figures: Figures): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(figures)) {
    if (Array.isArray(v) && v.every((x) => isNested(x) && !Array.isArray(x))) {
      const rows = v as Figures[];
      const cols = [...new Set(rows.flatMap((x) => Object.keys(x)))];
      lines.push(
        '',
        `${name} ${k}:`,
        table(
          cols,
          rows.map((x) => cols.map((c) => flat(x[c]))),
        ),
      );
    } else if (isNested(v)) {
      lines.push(
        '',
        `${name} ${k}:`,
        table(
          ['figure', 'value'],
          Object.entries(v as Figures).map(([a, b]) => [a, flat(b)]),
        ),
      );
    } else if (typeof v === 'string' && k !== 'last_error') {
      lines.push(`${name} ${k}: ${v}`);
    }
  }
  return lines;
}

const flat = (v: unknown): string => (isNested(v) ? JSON.stringify(v) : v === undefined || v === null ? '' : String(v));
const yes = (b: boolean): string => (b ? 'yes' : 'NO');
