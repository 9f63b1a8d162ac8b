/**
 * The local `readings` relation, kept deduplicated on disk (the mirror's own
 * materialisation of the view; "compaction" is the lake's, `src/lake/compaction/`): per day partition of the
 * mirror, the `readings` view's own SQL (`READINGS_VIEW_SQL`, the rule Athena's view
 * applies) is run once and its result written as one Parquet file under
 * `<lake dir>/.deduplicated/`. A day is done again only when its objects changed (their
 * names, sizes or times), so a query pays for deduplication once per change instead of
 * once per query — the window over every reading of a month is what made queries slow.
 *
 * The result is the view's result, partition by partition: the view's window
 * partition (`READINGS_VIEW_PARTITION`) holds `y, m, d`, so no winner depends on another day.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTITION_KEYS, READINGS_COLUMNS, READINGS_VIEW_SQL } from '../../shared/glue.ts';
import { GLUE, PREFIXES } from '../../shared/resources.ts';

export interface DedupeOutcome {
  readonly days: number;
  readonly deduplicated: number;
  readonly removed: number;
}

const INDEX = '.index.json';
const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Where the deduplicated days of a mirror live ("compacted" is the lake compaction's word only). */
export function dedupedDir(lakeDir: string): string {
  return join(lakeDir, '.deduplicated');
}

export async function dedupeDays(lakeDir: string, options: { threads?: number } = {}): Promise<DedupeOutcome> {
  const root = join(lakeDir, ...PREFIXES.processed.split('/').filter(Boolean));
  const outRoot = dedupedDir(lakeDir);
  const days = await dayDirs(root);
  const index = await readIndex(outRoot);
  const stale: [string, string, string[]][] = [];
  for (const [day, files] of days) {
    const signature = await signatureOf(join(root, day), files);
    if (index[day] !== signature) stale.push([day, signature, files]);
  }
  const gone = Object.keys(index).filter((day) => !days.has(day));
  if (stale.length) {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(options.threads ?? 2) });
    const c = await instance.connect();
    try {
      const columns = READINGS_COLUMNS.map((col) =>
        col.type === 'timestamp' ? `CAST(${col.name} AS TIMESTAMP_MS) AS ${col.name}` : col.name,
      );
      for (const [day, signature, files] of stale) {
        const list = files.map((f) => sqlText(join(root, day, f))).join(', ');
        await c.run(
          `CREATE OR REPLACE TEMP VIEW ${GLUE.tableName} AS SELECT * FROM read_parquet([${list}], hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`,
        );
        const dir = join(outRoot, day);
        await mkdir(dir, { recursive: true });
        const file = join(dir, 'readings.parquet');
        await c.run(
          `COPY (SELECT ${columns.join(', ')} FROM (${READINGS_VIEW_SQL}) deduplicated) TO ${sqlText(`${file}.${process.pid}.part`)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        await rename(`${file}.${process.pid}.part`, file);
        index[day] = signature;
      }
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }
  for (const day of gone) {
    await rm(join(outRoot, day), { recursive: true, force: true });
    delete index[day];
  }
  if (stale.length || gone.length) {
    await mkdir(outRoot, { recursive: true });
    await writeFile(join(outRoot, `${INDEX}.${process.pid}.tmp`), JSON.stringify(index));
    await rename(join(outRoot, `${INDEX}.${process.pid}.tmp`), join(outRoot, INDEX));
  }
  return { days: days.size, deduplicated: stale.length, removed: gone.length };
}

/** Day partitions (`y=…/m=…/d=…`) with their Parquet files, sorted. */
async function dayDirs(root: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let entries: string[];
  try {
    entries = await readdir(root, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  const [y, m, d] = PARTITION_KEYS.map((k) => k.name);
  const pattern = new RegExp(`^(${y}=\\d{4}/${m}=\\d{2}/${d}=\\d{2})/([^/]+\\.parquet)$`);
  for (const entry of entries.map((e) => e.split('\\').join('/')).sort()) {
    const match = pattern.exec(entry);
    if (!match) continue;
    const list = out.get(match[1] as string) ?? [];
    list.push(match[2] as string);
    out.set(match[1] as string, list);
  }
  return out;
}

async function signatureOf(dir: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const s = await stat(join(dir, f));
    h.update(`${f}\u0000${s.size}\u0000${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

async function readIndex(root: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(join(root, INDEX), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}
