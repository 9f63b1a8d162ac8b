/**
 * What the emulators' LevelDB databases may hold in the emulator host. LevelDB keeps up to
 * `maxOpenFiles` − 10 tables open (default 1000) and, on 64-bit, reads each through an
 * `mmap` of the whole file: a table stays mapped, with every page a read or a compaction
 * touched resident in the host, until the table cache evicts it. With the defaults nearly
 * every table ever written stayed open, and the long run's host grew with what the stores
 * held (docs/reliability.md → "Fourth pass"). So:
 * - `maxOpenFiles` 74, LevelDB's floor: at most 64 tables open per database;
 * - `maxFileSize` 1 MiB (default 2): so at most 64 MiB of mapped table pages per database;
 * - `cacheSize` 2 MiB (default 8): the block cache, which the page cache behind the mapped
 *   tables already covers (the host's reads are mostly the newest records and items).
 * Measured side by side (`long-run --readings 600000`): the host's peak 256 → 186 MiB at the
 * same throughput (1,675 → 1,718 readings/s). A table opened again costs a read of its index
 * and filter.
 *
 * kinesalite (leveldown) and dynalite (classic-level) open their databases with no
 * options of their own; this gives both opens these defaults. Import it before either
 * opens a database (`emulators.ts` does, first). A caller's own options win.
 */
import { createRequire } from 'node:module';

/** LevelDB clips `max_open_files` to at least 74: 64 tables and 10 other files. */
export const LEVELDB_OPEN_DEFAULTS = {
  maxOpenFiles: 74,
  maxFileSize: 1024 * 1024,
  cacheSize: 2 * 1024 * 1024,
} as const;

type OpenProto = { _open: (this: unknown, options: Record<string, unknown>, ...rest: unknown[]) => unknown };

/** Wraps a LevelDB binding's `_open` so that options it is not given come from LEVELDB_OPEN_DEFAULTS. */
export function withOpenDefaults(proto: OpenProto): void {
  const original = proto._open;
  if ((original as { withDefaults?: true }).withDefaults) return;
  const wrapped = function (this: unknown, options: Record<string, unknown>, ...rest: unknown[]): unknown {
    return original.call(this, { ...LEVELDB_OPEN_DEFAULTS, ...options }, ...rest);
  };
  Object.assign(wrapped, { withDefaults: true });
  proto._open = wrapped;
}

const fromHere = createRequire(import.meta.url);
const fromKinesalite = createRequire(fromHere.resolve('kinesalite'));
const fromDynalite = createRequire(fromHere.resolve('dynalite'));
const fromLevel = createRequire(fromDynalite.resolve('level'));

withOpenDefaults((fromKinesalite('leveldown') as { prototype: OpenProto }).prototype);
withOpenDefaults((fromLevel('classic-level') as { ClassicLevel: { prototype: OpenProto } }).ClassicLevel.prototype);
