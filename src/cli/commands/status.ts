import type { Command } from 'commander';
import { resourceStatus, type ResourceStatus } from '../../ops/status.ts';
import { action } from '../command.ts';
import { withContext } from '../context.ts';
import { table } from '../output.ts';
import { PREFIXES } from '../../shared/resources.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'show what is running and, per resource of the shared definitions, whether it exists and how much it holds',
    )
    .option(
      '--exact',
      'count table items with full scans and stream records by reading the stream (slow on large data; --json always counts exactly, its fields unchanged)',
    )
    .action(
      action<{ exact?: boolean }>(async (_args, opts) =>
        withContext(opts, 'stack', async (ctx) => {
          const [resources, services] = await Promise.all([
            resourceStatus(ctx.clients, { exact: opts.exact === true || opts.json === true }),
            ctx.servicesStatus(),
          ]);
          const runtime = ctx.attached
            ? {
                running: true,
                mode: ctx.attached.mode,
                pid: ctx.attached.pid,
                started_at: ctx.attached.startedAt,
                endpoints: ctx.attached.endpoints,
              }
            : { running: ctx.target === 'aws', mode: ctx.target === 'aws' ? 'aws' : 'started for this command' };
          const json = {
            target: ctx.target,
            data_dir: ctx.target === 'local' ? ctx.dataDir : undefined,
            runtime,
            resources,
            services,
          };
          return { json, human: render(ctx.target, ctx.dataDir, runtime, resources, services) };
        }),
      ),
    );
}

function render(
  target: string,
  dataDir: string,
  runtime: { running: boolean; mode: string; pid?: number },
  r: ResourceStatus,
  services: Record<string, Record<string, unknown>>,
): string {
  const head =
    target === 'aws'
      ? 'target: aws'
      : runtime.pid
        ? `embedded stack running (pid ${runtime.pid}, ${runtime.mode}) on ${dataDir}`
        : `no stack was running on ${dataDir}; started one for this command`;
  const rows: unknown[][] = [
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
      t.exists
        ? `${t.items_approximate ? '~' : ''}${t.items} items${t.items_approximate ? ' (approximate; --exact scans)' : ''} (${t.key_schema})`
        : '',
    ]),
  ];
  const svc = Object.entries(services).map(
    ([name, figures]) =>
      `  ${name}: ${Object.entries(figures)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(' ')}`,
  );
  return [
    head,
    '',
    table(['kind', 'name', 'exists', 'contents'], rows),
    ...(svc.length ? ['', 'services:', ...svc] : []),
  ].join('\n');
}

const yes = (b: boolean): string => (b ? 'yes' : 'NO');
