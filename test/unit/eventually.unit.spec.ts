import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';

/** A probe that gives `pending` until its n-th call, then `done`. */
function probeAfter<T>(
  n: number,
  pending: T | undefined | false,
  done: T,
): { probe: () => Promise<T | undefined | false>; calls: () => number } {
  let calls = 0;
  return { probe: async () => (++calls >= n ? done : pending), calls: () => calls };
}

describe('eventually', () => {
  it('resolves with the first value that is neither undefined nor false', async () => {
    const p = probeAfter(3, undefined, { id: 7 });
    await expect(eventually('the record', p.probe, { intervalMs: 1 })).resolves.toEqual({ id: 7 });
    expect(p.calls()).toBe(3);
  });

  it('treats false as pending and a thrown error (a failed expect) as pending', async () => {
    const bool = probeAfter(2, false, true);
    await expect(eventually('the flag', bool.probe, { intervalMs: 1 })).resolves.toBe(true);
    let calls = 0;
    const asserting = async () => {
      expect(++calls).toBe(3);
      return 'ok';
    };
    await expect(eventually('the third call', asserting, { intervalMs: 1 })).resolves.toBe('ok');
  });

  it('keeps 0 and the empty string as answers', async () => {
    await expect(eventually('a count', () => 0)).resolves.toBe(0);
    await expect(eventually('a name', () => '')).resolves.toBe('');
  });

  it('fails on timeout, naming what it waited for and the last value the probe gave', async () => {
    const run = eventually('the manifest of raw/x.csv', async () => false, { timeoutMs: 20, intervalMs: 1 });
    await expect(run).rejects.toThrow(
      /^timed out after 20 ms waiting for the manifest of raw\/x\.csv; the probe last gave: false$/,
    );
    let loaded = 0;
    const status = eventually('the registry load', () => ((loaded += 1), undefined), { timeoutMs: 5, intervalMs: 1 });
    await expect(status).rejects.toThrow('waiting for the registry load; the probe last gave: undefined');
    expect(loaded).toBeGreaterThan(1);
  });

  it('fails on timeout with the last error the probe threw, kept as the cause', async () => {
    const boom = new Error('files_loaded was 0');
    const run = eventually(
      'the registry load',
      () => {
        throw boom;
      },
      { timeoutMs: 5, intervalMs: 1 },
    );
    const err = await run.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe(
      'timed out after 5 ms waiting for the registry load; the probe last threw: Error: files_loaded was 0',
    );
    expect(err?.cause).toBe(boom);
  });

  it('probes at least once, even with no time to wait', async () => {
    await expect(eventually('at once', () => 'here', { timeoutMs: 0 })).resolves.toBe('here');
    await expect(eventually('never', () => false, { timeoutMs: 0 })).rejects.toThrow(
      'timed out after 0 ms waiting for never; the probe last gave: false',
    );
  });
});
