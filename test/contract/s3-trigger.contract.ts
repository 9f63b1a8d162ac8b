/**
 * The S3-trigger contract: what an S3 notification with an asynchronous Lambda
 * invocation does to a function that fails, asserted in Lambda's time. One suite, run
 * against every implementation (`s3-trigger.unit.spec.ts`): the executable
 * specification of Lambda (`lambda-async.model.ts`) and the embedded stack's invoker.
 */
import type { S3Event } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeS3EventKey, encodeS3EventKey } from '../../src/shared/s3-keys.ts';
import type { AsyncInvokeSettings } from '../../src/local/invoker/schedule.ts';
import { VirtualClock } from './virtual-clock.ts';

export interface Failure {
  readonly condition: 'RetriesExhausted' | 'EventAgeExceeded';
  readonly attempts: number;
  readonly bucket: string;
  readonly key: string;
  readonly error: string;
}

export interface TriggerUnderTest {
  invoke(event: S3Event): void;
  /** What is on the on-failure destination, oldest first. */
  failures(): Promise<Failure[]>;
  /** Hands the i-th failure back to the function. */
  redrive(index: number): Promise<void>;
  /** The implementation's clock reading as Lambda time (the embedded stack runs scaled). */
  toLambdaMs(ms: number): number;
}

export type MakeTrigger = (o: {
  settings: AsyncInvokeSettings;
  handler: (event: S3Event) => Promise<unknown>;
  clock: VirtualClock;
}) => TriggerUnderTest;

const DEPLOYED_LIKE: AsyncInvokeSettings = { retryAttempts: 2, maxEventAgeSeconds: 21_600 };
const BUCKET = 'dubegrid-contract';
const KEY = 'raw/prod/lv/y=2025/m=08/a file.csv';

function event(key = KEY): S3Event {
  return {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: BUCKET }, object: { key: encodeS3EventKey(key), eTag: 'abc123' } },
      },
    ],
  } as unknown as S3Event;
}

export function s3TriggerContract(name: string, make: MakeTrigger): void {
  describe(`S3 trigger contract: ${name}`, () => {
    let clock: VirtualClock;
    /** Lambda seconds at which each invocation started. */
    let attempts: number[];
    /** Decoded keys of the invocations. */
    let keys: string[];
    let failUntil: number;

    const build = (settings: AsyncInvokeSettings = DEPLOYED_LIKE): TriggerUnderTest => {
      const trigger: TriggerUnderTest = make({
        settings,
        clock,
        handler: async (e) => {
          attempts.push(trigger.toLambdaMs(clock.now()) / 1_000);
          keys.push(decodeS3EventKey(e.Records[0]!.s3.object.key));
          if (attempts.length <= failUntil) throw new Error(`attempt ${attempts.length} failed\nstack line`);
          return 'done';
        },
      });
      return trigger;
    };

    beforeEach(() => {
      clock = new VirtualClock();
      attempts = [];
      keys = [];
      failUntil = 0;
    });

    it('invokes once when the function succeeds, and lists nothing', async () => {
      const t = build();
      t.invoke(event());
      await clock.settle();
      expect(attempts).toEqual([0]);
      expect(keys).toEqual([KEY]);
      expect(await t.failures()).toEqual([]);
    });

    it('retries a function error after one minute, then two, then lists the object with RetriesExhausted', async () => {
      failUntil = Infinity;
      const t = build();
      t.invoke(event());
      await clock.settle();
      expect(attempts).toEqual([0, 60, 180]);
      expect(await t.failures()).toEqual([
        { condition: 'RetriesExhausted', attempts: 3, bucket: BUCKET, key: KEY, error: 'attempt 3 failed' },
      ]);
    });

    it('stops retrying once an attempt succeeds', async () => {
      failUntil = 1;
      const t = build();
      t.invoke(event());
      await clock.settle();
      expect(attempts).toEqual([0, 60]);
      expect(await t.failures()).toEqual([]);
    });

    it('makes as many retries as configured (0 here)', async () => {
      failUntil = Infinity;
      const t = build({ retryAttempts: 0, maxEventAgeSeconds: 21_600 });
      t.invoke(event());
      await clock.settle();
      expect(attempts).toEqual([0]);
      expect(await t.failures()).toEqual([expect.objectContaining({ condition: 'RetriesExhausted', attempts: 1 })]);
    });

    it('does not invoke an event older than the maximum event age: EventAgeExceeded', async () => {
      failUntil = Infinity;
      const t = build({ retryAttempts: 2, maxEventAgeSeconds: 90 });
      t.invoke(event());
      await clock.settle();
      expect(attempts).toEqual([0, 60]);
      expect(await t.failures()).toEqual([
        { condition: 'EventAgeExceeded', attempts: 2, bucket: BUCKET, key: KEY, error: 'attempt 2 failed' },
      ]);
    });

    it('redrive invokes the function again with the same object and removes the entry only when it succeeds', async () => {
      failUntil = 4; // three attempts and the first redrive fail
      const t = build();
      t.invoke(event());
      await clock.settle();
      await expect(t.redrive(0)).rejects.toThrow(/attempt 4 failed/);
      expect(await t.failures()).toHaveLength(1);
      await t.redrive(0);
      expect(keys).toEqual([KEY, KEY, KEY, KEY, KEY]);
      expect(await t.failures()).toEqual([]);
    });
  });
}
