import { describe, expect, it } from 'vitest';
import {
  agedOutPrefix,
  retryDelayMs,
  runBatch,
  type BatchRunnerDeps,
  type DeliveryFailure,
} from '../../src/shared/kinesis/batch-runner.ts';
import type { InvokeOutcome } from '../../src/shared/kinesis/invoke.ts';
import type { StreamRecord } from '../../src/shared/kinesis/shard-reader.ts';

const NOW = Date.parse('2025-08-14T12:00:00Z');
const rec = (i: number, ageS = 1): StreamRecord => ({
  sequenceNumber: String(100 + i),
  partitionKey: 'k',
  data: Buffer.from(`r${i}`),
  arrival: new Date(NOW - ageS * 1000),
});
const names = (rs: readonly StreamRecord[]): string[] => rs.map((r) => Buffer.from(r.data).toString());

function harness(
  invoke: (rs: readonly StreamRecord[]) => InvokeOutcome,
  settings: Partial<BatchRunnerDeps['settings']> = {},
) {
  const log: string[] = [];
  const invocations: string[][] = [];
  const sleeps: number[] = [];
  const failures: { records: string[]; failure: DeliveryFailure }[] = [];
  const deps: BatchRunnerDeps = {
    settings: { retryAttempts: 2, bisectBatchOnError: true, maxRecordAgeSeconds: 3600, ...settings },
    invoke: async (rs) => {
      invocations.push(names(rs));
      return invoke(rs);
    },
    onDone: async (rs) => void log.push(`done ${names(rs).join(',')}`),
    onFailure: async (rs, failure) => {
      failures.push({ records: names(rs), failure });
      log.push(`dlq ${names(rs).join(',')}`);
    },
    sleep: async (ms) => void sleeps.push(ms),
    now: () => NOW,
  };
  return { deps, log, invocations, sleeps, failures };
}

/** A handler that fails whenever the batch holds `poison`, the way `mode` says. */
const failingOn =
  (poison: string, mode: 'throw' | 'report') =>
  (rs: readonly StreamRecord[]): InvokeOutcome => {
    const i = names(rs).indexOf(poison);
    if (i < 0) return { ok: true };
    return { ok: false, failedIndex: mode === 'throw' ? 0 : i, error: `bad ${poison}` };
  };

describe('runBatch (Lambda stream error handling)', () => {
  it('checkpoints a successful batch once, whole', async () => {
    const h = harness(() => ({ ok: true }));
    const report = await runBatch([rec(0), rec(1), rec(2)], h.deps);
    expect(h.log).toEqual(['done r0,r1,r2']);
    expect(report).toEqual({ invocations: 1, retries: 0, bisections: 0, failed: 0 });
  });

  it('with item failures, checkpoints the records before the lowest failure and bisects the rest down to the poison record', async () => {
    const h = harness(failingOn('r5', 'report'));
    const report = await runBatch(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => rec(i)),
      h.deps,
    );
    expect(h.log).toEqual(['done r0,r1,r2,r3,r4', 'dlq r5', 'done r5', 'done r6', 'done r7']);
    expect(h.failures[0]?.failure).toEqual({ condition: 'retries_exhausted', error: 'bad r5', attempts: 3 });
    expect(report.retries).toBe(2);
    expect(h.sleeps).toEqual([retryDelayMs(1), retryDelayMs(2)]);
  });

  it('isolates a poison record of a throwing handler by bisecting, keeping shard order', async () => {
    const h = harness(failingOn('r2', 'throw'));
    await runBatch(
      [0, 1, 2, 3, 4].map((i) => rec(i)),
      h.deps,
    );
    expect(h.log).toEqual(['done r0,r1', 'dlq r2', 'done r2', 'done r3,r4']);
    expect(h.failures.map((f) => f.records)).toEqual([['r2']]);
  });

  it('without bisect, sends the whole failing part to the on-failure destination after the retries', async () => {
    const h = harness(failingOn('r1', 'throw'), { bisectBatchOnError: false, retryAttempts: 1 });
    await runBatch(
      [0, 1, 2].map((i) => rec(i)),
      h.deps,
    );
    expect(h.invocations).toHaveLength(2);
    expect(h.log).toEqual(['dlq r0,r1,r2', 'done r0,r1,r2']);
  });

  it('does not send records older than the maximum record age: they go to the DLQ as record_too_old', async () => {
    const h = harness(() => ({ ok: true }), { maxRecordAgeSeconds: 60 });
    await runBatch([rec(0, 120), rec(1, 90), rec(2, 5)], h.deps);
    expect(h.invocations).toEqual([['r2']]);
    expect(h.failures).toEqual([
      { records: ['r0', 'r1'], failure: expect.objectContaining({ condition: 'record_too_old', attempts: 0 }) },
    ]);
    expect(h.log).toEqual(['dlq r0,r1', 'done r0,r1', 'done r2']);
  });

  it('counts a record that ages out while being retried as too old, not as exhausted', async () => {
    let now = NOW;
    const h = harness(() => ({ ok: false, failedIndex: 0, error: 'down' }), {
      maxRecordAgeSeconds: 60,
      retryAttempts: -1,
      bisectBatchOnError: false,
    });
    h.deps.sleep = async () => void (now += 30_000);
    h.deps.now = () => now;
    await runBatch([rec(0, 1)], h.deps);
    expect(h.invocations).toHaveLength(2);
    expect(h.failures[0]?.failure).toMatchObject({ condition: 'record_too_old', attempts: 2 });
  });
});

describe('agedOutPrefix', () => {
  it('is 0 with no maximum age', () => {
    expect(agedOutPrefix([rec(0, 1e9)], -1, NOW)).toBe(0);
  });
});
