/**
 * The rollups Lambda's handler over a stubbed build: what it hands `buildRollups` (the
 * bucket, `force`, a time and /tmp budget from the invocation's context) and what it
 * returns. The build itself is tested on the embedded stack (test/int/rollups.int.spec.ts).
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RollupDeps, RollupOutcome, RollupRequest } from '../../src/lake/rollups/build.ts';
import { ENV } from '../../src/shared/functions.ts';

const calls: { deps: RollupDeps; request: RollupRequest }[] = [];
const outcome: RollupOutcome = { days: 3, rebuilt: ['2025-08-02'], removed: [], left_for_next_run: 1 };
vi.mock('../../src/lake/rollups/build.ts', () => ({
  buildRollups: async (deps: RollupDeps, request: RollupRequest) => {
    calls.push({ deps, request });
    return outcome;
  },
}));

const env = {
  [ENV.bucket]: 'dubegrid-123456789012-eu-west-2',
  [ENV.awsAccount]: '123456789012',
  AWS_REGION: 'eu-west-2',
};
const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
beforeAll(() => Object.assign(process.env, env));
afterAll(() => {
  vi.restoreAllMocks();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** A context whose remaining time is whatever `left.ms` says when asked. */
const contextWith = (left: { ms: number }): Context => ({ getRemainingTimeInMillis: () => left.ms }) as Context;

describe('the rollups handler', () => {
  it('builds in the deployed bucket, fetches while half its time remains and rebuilds while a minute does', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true); // Powertools' EMF line
    const { handler } = await import('../../src/lake/rollups/handler.ts');
    const left = { ms: 900_000 };
    await expect(handler({}, contextWith(left))).resolves.toEqual(outcome);
    const [{ deps, request }] = calls as [(typeof calls)[number]];
    expect(deps.bucket).toBe(env[ENV.bucket]);
    expect(request.force).toBe(false);
    const keepGoing = request.keepGoing!;
    left.ms = 500_000;
    expect([keepGoing('fetch'), keepGoing('rebuild')]).toEqual([true, true]);
    left.ms = 400_000;
    expect([keepGoing('fetch'), keepGoing('rebuild')]).toEqual([false, true]);
    left.ms = 50_000;
    expect([keepGoing('fetch'), keepGoing('rebuild')]).toEqual([false, false]);
    // the registry's intervals reach the build (expected_count's override of the cadence)
    expect(deps.registryIntervals).toBeTypeOf('function');
    // the first import loads the SDK and Powertools: seconds on a loaded machine
  }, 60_000);

  it('hands on `force` from a manual invocation, and goes on without limit when invoked without a context', async () => {
    const { handler } = await import('../../src/lake/rollups/handler.ts');
    await handler({ force: true });
    const { request } = calls[calls.length - 1]!;
    expect(request.force).toBe(true);
    expect([request.keepGoing!('fetch'), request.keepGoing!('rebuild')]).toEqual([true, true]);
  });
});
