/**
 * `dubegrid sources add FILE | list | rm NAME | test FILE [--source NAME] [--mapping M.yaml]`:
 * source mappings (docs/sources.md). `add` checks a mapping (schema, then compile) and
 * stores it under reference/sources/, where the splitter picks it up from the next
 * object on; `test` dry-runs a split on a local file with no stack at all.
 */
import { readFile } from 'node:fs/promises';
import { compileMapping } from '../../producers/splitter/mapping/compile.ts';
import { dryRunSplit } from '../../producers/splitter/mapping/dry-run.ts';
import { MappingSet } from '../../producers/splitter/mapping/set.ts';
import { builtinMappings } from '../../producers/splitter/mapping/builtin.ts';
import { readSettings } from '../../shared/settings.ts';
import { MappingError, describeProblem } from '../../shared/sources/errors.ts';
import { parseMapping } from '../../shared/sources/load.ts';
import type { LoadedMapping } from '../../shared/sources/mapping.ts';
import { reasonsToKeep, refusalOf, whatStillNeeds } from '../../shared/sources/in-flight.ts';
import { MappingStore, unitsOf } from '../../shared/sources/store.ts';
import { STREAM } from '../../shared/resources.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { table, UsageError } from '../output.ts';

/** Reads and fully checks a mapping file: schema, then compile (against the built-ins' and `others`' units). */
export async function checkMappingFile(
  path: string,
  others: readonly LoadedMapping[] = [],
): Promise<{ loaded: LoadedMapping; text: string }> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new UsageError(`cannot read ${path}: ${err.message}`);
  });
  try {
    const loaded = parseMapping(text, path);
    if (builtinMappings().some((b) => b.mapping.name === loaded.mapping.name))
      throw new MappingError(path, [
        {
          path: 'name',
          problem: `is ${loaded.mapping.name}, a built-in mapping's name`,
          expected: 'a name of its own',
        },
      ]);
    compileMapping(loaded, { units: unitsOf(others.filter((o) => o.mapping.name !== loaded.mapping.name)) });
    return { loaded, text };
  } catch (err) {
    if (err instanceof MappingError) throw new UsageError(mappingMessage(err));
    throw err;
  }
}

/** One line (the CLI's errors are one line): each problem's path (line), what is wrong, what was expected. */
export function mappingMessage(err: MappingError): string {
  return `${err.origin} is not a valid mapping: ${err.problems.map(describeProblem).join(' | ')}`;
}

interface TestFlags {
  source?: string;
  mapping?: string;
  rows?: string;
}

export const runAdd: Action<object> = async ([file], opts) =>
  withContext(opts, 'stack', async (ctx) => {
    const store = new MappingStore(ctx.clients.s3, ctx.clients.names.bucket);
    const { mappings } = await store.load();
    const { loaded, text } = await checkMappingFile(file as string, mappings);
    const key = await store.put(loaded.mapping.name, text);
    return {
      json: { name: loaded.mapping.name, key, hash: loaded.hash },
      human: `stored ${loaded.mapping.name} at ${key} (sha256 ${loaded.hash.slice(0, 12)}…); files split from now on can use it — \`dubegrid backfill --prefix raw/…\` re-splits earlier ones`,
    };
  });

/** A valid mapping as `sources list` shows it. */
function listRow(m: LoadedMapping, origin: string) {
  return {
    name: m.mapping.name,
    origin,
    shape: m.mapping.shape.kind,
    priority: m.mapping.recognise.priority ?? 0,
    hash: m.hash,
    valid: true,
    description: m.mapping.description ?? '',
  };
}

export const runList: Action<object> = async (_args, opts) =>
  withContext(opts, 'stack', async (ctx) => {
    const store = new MappingStore(ctx.clients.s3, ctx.clients.names.bucket);
    const stored = await store.load();
    const rows = [
      ...builtinMappings().map((m) => listRow(m, 'built-in')),
      ...stored.mappings.map((m) => listRow(m, m.origin)),
      ...stored.invalid.map((b) => ({
        name: b.key,
        origin: b.key,
        shape: '?',
        priority: 0,
        hash: '',
        valid: false,
        description: b.error.message,
      })),
    ];
    return {
      json: { mappings: rows },
      human: table(
        ['name', 'origin', 'shape', 'priority', 'sha256', 'description'],
        rows.map((r) => [
          r.name,
          r.origin,
          r.shape,
          r.priority,
          r.hash.slice(0, 12),
          r.valid ? r.description : `INVALID: ${r.description}`,
        ]),
      ),
    };
  });

interface RmFlags {
  force?: boolean;
}

/**
 * Removes a stored mapping unless something still needs it (`whatStillNeeds`): raw files
 * naming it that are not split yet, or readings in units only it declares still within
 * the stream's retention. `--force` removes it anyway and says what it overrode.
 */
export const runRm: Action<RmFlags> = async ([name], opts) => {
  if (builtinMappings().some((b) => b.mapping.name === name))
    throw new UsageError(`${name} is built in; only stored mappings can be removed`);
  return withContext(opts, 'stack', async (ctx) => {
    const store = new MappingStore(ctx.clients.s3, ctx.clients.names.bucket);
    const { mappings } = await store.load();
    const mapping = mappings.find((m) => m.mapping.name === name);
    let reasons: string[] = [];
    if (mapping !== undefined) {
      const retentionHours = STREAM.retentionHours;
      const still = await whatStillNeeds({
        s3: ctx.clients.s3,
        bucket: ctx.clients.names.bucket,
        mapping,
        others: [...builtinMappings(), ...mappings],
        retentionHours,
      });
      reasons = reasonsToKeep(still, retentionHours);
      if (reasons.length > 0 && opts.force !== true) throw new UsageError(refusalOf(name as string, reasons));
    }
    // a stored file of that name that does not load cannot have split anything: no check
    const removed = await store.remove(name as string);
    if (!removed) throw new UsageError(`no stored mapping is named ${name} (see \`dubegrid sources list\`)`);
    return {
      json: { removed: name, forced_past: reasons },
      human: reasons.length === 0 ? `removed ${name}` : `removed ${name} (--force, though ${reasons.join('; ')})`,
    };
  });
};

export const runTest: Action<TestFlags> = async ([file], opts) => {
  const extra = opts.mapping === undefined ? [] : [(await checkMappingFile(opts.mapping)).loaded];
  const sourceTimeZone = readSettings().sourceTimeZone;
  const { set } = MappingSet.compile(extra, { sourceTimeZone });
  if (opts.source !== undefined && set.get(opts.source) === undefined)
    throw new UsageError(`no mapping is named ${opts.source} (known: ${set.mappings.map((m) => m.name).join(', ')})`);
  const shown = Math.max(0, Number(opts.rows ?? 10));
  const run = await dryRunSplit(file as string, {
    mappings: set,
    sourceName: opts.source,
    sourceTimeZone,
    keepEvents: shown,
  }).catch((err: Error) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot read ${file}: no such file`);
    throw err;
  });
  const s = run.summary;
  const matched = s.mapping
    ? `mapping: ${s.mapping.name} (${s.mapping.why})`
    : `no mapping took the file (${s.format})${run.entries[0] ? `: ${run.entries[0].message}` : ''}`;
  const accounting = `rows read ${s.rows_read}, accepted ${s.rows_accepted}, quarantined ${s.rows_quarantined}, without readings ${s.rows_without_readings}, readings quarantined alone ${s.readings_quarantined}; events ${s.events_emitted}`;
  const reasons = Object.entries(s.quarantine_reasons).map(([r, n]) => `  ${r}: ${n}${firstMessage(run.entries, r)}`);
  const events = run.events.map((e) => [
    e.source_line,
    e.asset_id,
    e.substation_name,
    e.measurement,
    e.phase ?? '',
    e.unit,
    e.value,
    e.ts,
  ]);
  return {
    json: { file, mapping: s.mapping, format: s.format, summary: s, events: run.events, quarantine: run.entries },
    human: [
      matched,
      events.length
        ? table(['line', 'asset', 'name', 'measurement', 'phase', 'unit', 'value', 'ts'], events)
        : '(no events)',
      accounting,
      ...(reasons.length ? ['quarantine reasons:', ...reasons] : []),
    ].join('\n'),
    exitCode: s.mapping ? 0 : 1,
  };
};

function firstMessage(
  entries: readonly { reason: string; line: number | null; message: string }[],
  reason: string,
): string {
  const e = entries.find((x) => x.reason === reason);
  return e ? ` (e.g. line ${e.line ?? '-'}: ${e.message})` : '';
}
