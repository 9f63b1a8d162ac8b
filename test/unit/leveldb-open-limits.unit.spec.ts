/**
 * The emulators' LevelDB opens get a bounded table cache (leveldb-open-limits.ts): the
 * defaults reach both bindings' `_open`, a caller's own options win, and a second wrap
 * does not stack.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEVELDB_OPEN_DEFAULTS, withOpenDefaults } from '../../src/local/leveldb-open-limits.ts';
import { tempDir } from '../support/tmp.ts';

type Proto = { _open: (this: unknown, options: Record<string, unknown>, ...rest: unknown[]) => unknown };

function recordingProto(): { proto: Proto; seen: Record<string, unknown>[] } {
  const seen: Record<string, unknown>[] = [];
  return {
    seen,
    proto: {
      _open(options: Record<string, unknown>) {
        seen.push(options);
        return 'opened';
      },
    },
  };
}

describe('LevelDB open defaults', () => {
  it("adds the table-cache bound to an open's options, keeping the caller's own", () => {
    const { proto, seen } = recordingProto();
    withOpenDefaults(proto);
    withOpenDefaults(proto);
    expect(proto._open.call({}, { createIfMissing: true }, 'cb')).toBe('opened');
    proto._open.call({}, { maxOpenFiles: 500 });
    expect(seen).toEqual([
      { ...LEVELDB_OPEN_DEFAULTS, createIfMissing: true },
      { ...LEVELDB_OPEN_DEFAULTS, maxOpenFiles: 500 },
    ]);
  });

  it('is in place on the bindings kinesalite and dynalite open their databases with', () => {
    const fromHere = createRequire(import.meta.url);
    const leveldown = createRequire(fromHere.resolve('kinesalite'))('leveldown') as { prototype: Proto };
    const level = createRequire(createRequire(fromHere.resolve('dynalite')).resolve('level'));
    const { ClassicLevel } = level('classic-level') as { ClassicLevel: { prototype: Proto } };
    for (const proto of [leveldown.prototype, ClassicLevel.prototype]) {
      expect((proto._open as { withDefaults?: boolean }).withDefaults).toBe(true);
    }
  });
});

describe('a LevelDB database opened as the emulators open theirs', () => {
  it('keeps at most 64 tables open after reading every one of hundreds', async () => {
    const { dir, cleanup } = await tempDir('dubegrid-leveldb-');
    const fromHere = createRequire(import.meta.url);
    const leveldown = createRequire(fromHere.resolve('kinesalite'))('leveldown') as (location: string) => Db;
    const db = leveldown(join(dir, 'db'));
    try {
      // small tables and memtables (the caller's options win over the defaults): hundreds of tables from ~12 MB
      await call((cb) => db.open({ maxFileSize: 16 * 1024, writeBufferSize: 32 * 1024 }, cb));
      const value = 'x'.repeat(200);
      for (let b = 0; b < 600; b++) {
        const ops = Array.from({ length: 100 }, (_, i) => ({
          type: 'put' as const,
          key: `k${String(b * 100 + i).padStart(8, '0')}`,
          value,
        }));
        await call((cb) => db.batch(ops, cb));
      }
      const tables = (await readdir(join(dir, 'db'))).filter((n) => n.endsWith('.ldb')).length;
      expect(tables).toBeGreaterThan(150);
      // read every key (each in its own Get: every table's index, filter and blocks are read)
      for (let k = 0; k < 60_000; k += 7) {
        await call((cb) => db.get(`k${String(k).padStart(8, '0')}`, cb));
      }
      // LevelDB reads an open table through an mmap of it (its descriptor is closed once mapped)
      const open = (await openTables()).filter((f) => f.startsWith(join(dir, 'db')));
      expect(open.length).toBeGreaterThan(0);
      expect(open.length).toBeLessThanOrEqual(LEVELDB_OPEN_DEFAULTS.maxOpenFiles - 10);
    } finally {
      await call((cb) => db.close(cb)).catch(() => undefined);
      await cleanup();
    }
  });
});

interface Db {
  open(options: Record<string, unknown>, cb: (err?: Error) => void): void;
  batch(ops: { type: 'put'; key: string; value: string }[], cb: (err?: Error) => void): void;
  get(key: string, cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
}

function call(fn: (cb: (err?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

/** The LevelDB tables this process has open: its file descriptors and mappings of `.ldb` files. */
async function openTables(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  const mapped = (await readFile('/proc/self/maps', 'utf8')).split('\n').map((l) => l.split(/\s+/)[5] ?? '');
  return [...new Set([...targets, ...mapped].filter((f) => f.endsWith('.ldb')))];
}
