/**
 * Closes the LevelDB iterators of dynalite's reads. dynalite turns each Query and Scan into
 * a stream over an abstract-level iterator and, when the stream ends or is destroyed,
 * closes that iterator with `iterator.return()` — a method abstract-level 3's iterators
 * do not have. So every Query and Scan left a native iterator open for the life of the
 * database: each pins LevelDB's memtable and table version as they were (memtables that
 * should have been freed, tables that compaction replaced) and stays in the database's
 * open resources, so the emulator host's native memory grew with every read and with the
 * data written meanwhile (docs/reliability.md → "Long run"). This gives those iterators
 * the `return()` dynalite calls: close, as an async iterator's `return` would. Import it
 * before dynalite opens a database (`emulators.ts` does, first).
 */
import { createRequire } from 'node:module';

export interface ClosableIterator {
  close(): Promise<void>;
  return?: () => Promise<IteratorReturnResult<undefined>>;
}

/** abstract-level as dynalite's `level` (classic-level) loads it: the prototype its iterators share. */
export function dynaliteIteratorPrototype(): ClosableIterator {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const fromLevel = createRequire(fromDynalite.resolve('level'));
  const fromClassic = createRequire(fromLevel.resolve('classic-level'));
  const { AbstractIterator } = fromClassic('abstract-level') as { AbstractIterator: { prototype: object } };
  // keys(), values() and iterator() all extend the one (unexported) class that has close()
  return Object.getPrototypeOf(AbstractIterator.prototype) as ClosableIterator;
}

export function closeOnReturn(proto: ClosableIterator): void {
  if (typeof proto.return === 'function') return; // a dynalite or abstract-level that does it already
  Object.defineProperty(proto, 'return', {
    configurable: true,
    writable: true,
    value: async function (this: ClosableIterator): Promise<IteratorReturnResult<undefined>> {
      await this.close();
      return { done: true, value: undefined };
    },
  });
}

closeOnReturn(dynaliteIteratorPrototype());
