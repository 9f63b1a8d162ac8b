import { describe, expect, it } from 'vitest';
import { closeOnReturn, type ClosableIterator } from '../../src/local/dynalite-iterator-close.ts';

describe('closeOnReturn', () => {
  it('gives iterators a return() that closes them and ends them as an async iterator does', async () => {
    let closed = 0;
    const proto: ClosableIterator = {
      close: async () => {
        closed++;
      },
    };
    closeOnReturn(proto);
    const it = Object.create(proto) as ClosableIterator;
    await expect(it.return?.()).resolves.toEqual({ done: true, value: undefined });
    expect(closed).toBe(1);
  });

  it('keeps a return() the library already has', () => {
    const own = async (): Promise<IteratorReturnResult<undefined>> => ({ done: true, value: undefined });
    const proto: ClosableIterator = { close: async () => undefined, return: own };
    closeOnReturn(proto);
    expect(proto.return).toBe(own);
  });
});
