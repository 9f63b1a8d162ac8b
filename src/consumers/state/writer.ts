/**
 * The state consumer's writes (the adapter between the pure core and DynamoDB).
 * Every write is idempotent, and none moves a value backwards:
 *
 * 1. The `latest` items of the batch's series are read (BatchGetItem, two attributes):
 *    `latest_order` (the reading held) and `readings_hw` (the highest emission ever
 *    written to `readings` for the series).
 * 2. One conditional UpdateItem per series applies the batch's newest reading where it
 *    is at or above `latest_order`, and raises `readings_hw` to the batch's highest
 *    emission, before any reading is written. A failed condition means a newer value
 *    is stored: success.
 * 3. `readings`: BatchWriteItem cannot carry a condition. A series whose readings in
 *    the batch are all above the `readings_hw` read in step 1 cannot hold any of them
 *    yet, so they are put blind (the common case: new data). For
 *    any other series (a replay, a late older emission) the stored emissions are read
 *    first and only new keys or later emissions are put, so a replay writes nothing
 *    and an older emission never undoes a correction. (Writers racing on one series
 *    could interleave; only a redrive runs beside the poller, with the same data.)
 * 4. Unprocessed items and keys, and throttled requests, are retried with the shared
 *    backoff (`BACKOFF.stateWrites`); what is still not written after its attempts is
 *    reported as failed, per key, for the core to map onto records.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_GET_MAX, BATCH_WRITE_MAX, chunks, inPool } from '../../shared/concurrency.ts';
import { compareEmission, type ReadingEvent } from '../../shared/event.ts';
import { TABLES } from '../../shared/resources.ts';
import { BACKOFF, backoffMs, isThrottle, sleep } from '../../shared/retry.ts';
import {
  EMISSION_ATTRIBUTES,
  emissionOrder,
  expiryOf,
  itemKey,
  LATEST_META,
  latestKeyOf,
  latestUpdate,
  readingItem,
  readingKeyOf,
  readingOrder,
  readingSortKey,
  type LatestWrite,
  type StoredEmission,
} from './items.ts';

const RETRY = BACKOFF.stateWrites;
/**
 * Requests in flight per invocation and table. Measured with `npm run bench -- e2e`:
 * dynalite stops gaining beyond a few concurrent writers (it is one JavaScript process).
 */
export const WRITE_CONCURRENCY = 4;

export class StateWriteError extends Error {
  override name = 'StateWriteError';
  constructor(
    message: string,
    readonly table: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface WriterOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly readingsTable?: string;
  readonly latestTable?: string;
  /** Days a reading stays in `readings` after its own time; undefined keeps it forever. */
  readonly ttlDays?: number | undefined;
  readonly now?: (() => number) | undefined;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface ReadingsResult {
  readonly written: number;
  /** Already stored with this or a later emission: nothing to do. */
  readonly unchanged: number;
  /** Past their TTL already: not written (DynamoDB would only delete them). */
  readonly expired: number;
  /** Readings whose stored emissions had to be read first (not newer than the series' high-water mark). */
  readonly checked: number;
  /** By `readingKeyOf`. */
  readonly failed: Map<string, Error>;
}

export interface LatestResult {
  readonly applied: number;
  /** The stored reading was at least as new: success, nothing changed. */
  readonly stale: number;
  /** By `latestKeyOf`. */
  readonly failed: Map<string, Error>;
}

export interface StateWrites {
  /** One reading per natural key (`readingKeyOf`): the batch's winning emission. */
  readonly readings: ReadonlyMap<string, ReadingEvent>;
  /** One reading per series (`latestKeyOf`): the batch's newest. */
  readonly latest: ReadonlyMap<string, ReadingEvent>;
}

interface StoredLatest {
  readonly order?: string;
  readonly readingsHw?: string;
}

interface SeriesPlan {
  readonly key: { asset_id: string; measurement: string };
  readonly newest: ReadingEvent;
  readonly readings: ReadingEvent[];
  minEmission: string;
  maxEmission: string;
}

export class StateWriter {
  private readonly readingsTable: string;
  private readonly latestTable: string;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly o: WriterOptions) {
    this.readingsTable = o.readingsTable ?? TABLES.readings.tableName;
    this.latestTable = o.latestTable ?? TABLES.latest.tableName;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? sleep;
    this.random = o.random ?? Math.random;
  }

  async write(writes: StateWrites): Promise<{ readings: ReadingsResult; latest: LatestResult }> {
    const series = this.seriesOf(writes);
    const latestFailed = new Map<string, Error>();
    const stored = await this.storedLatest(series, latestFailed);
    let applied = 0;
    let stale = 0;
    await inPool([...series.entries()], WRITE_CONCURRENCY * 2, async ([key, plan]) => {
      if (latestFailed.has(key)) return;
      const held = stored.get(key) ?? {};
      const write: LatestWrite = {
        ...(!held.order || held.order < readingOrder(plan.newest) ? { reading: plan.newest } : {}),
        ...(plan.readings.length > 0 && (!held.readingsHw || held.readingsHw < plan.maxEmission)
          ? { readingsHw: plan.maxEmission }
          : {}),
      };
      if (!write.reading) stale += 1;
      if (!write.reading && write.readingsHw === undefined) return;
      const outcome = await this.update(plan, write);
      if (outcome instanceof Error) latestFailed.set(key, outcome);
      else if (write.reading && outcome === 'applied') applied += 1;
      else if (write.reading) stale += 1;
    });

    const failed = new Map<string, Error>();
    const blind: ReadingEvent[] = [];
    const check: ReadingEvent[] = [];
    let expired = 0;
    const nowS = this.now() / 1000;
    for (const [key, plan] of series) {
      const error = latestFailed.get(key);
      const hw = stored.get(key)?.readingsHw;
      for (const e of plan.readings) {
        if (error) failed.set(readingKeyOf(e), error);
        else if (this.o.ttlDays !== undefined && expiryOf(e.ts, this.o.ttlDays) <= nowS) expired += 1;
        // Strictly above: a reading *at* the high-water mark may be stored already (a replay
        // of the series' last batch), and reading its emission costs less than rewriting it.
        else (hw === undefined || plan.minEmission > hw ? blind : check).push(e);
      }
    }
    const present = await this.storedEmissions(check, failed);
    const toPut = [
      ...blind,
      ...check.filter((e) => {
        const key = readingKeyOf(e);
        const s = present.get(key);
        return !failed.has(key) && (!s || compareEmission(e, s) > 0);
      }),
    ];
    const failedBeforePut = failed.size;
    await inPool(chunks(toPut, BATCH_WRITE_MAX), WRITE_CONCURRENCY, (chunk) => this.putChunk(chunk, failed));
    const written = toPut.length - (failed.size - failedBeforePut);
    const unchanged = writes.readings.size - expired - toPut.length - failedBeforePut;
    return {
      readings: { written, unchanged, expired, checked: check.length, failed },
      latest: { applied, stale, failed: latestFailed },
    };
  }

  private seriesOf(writes: StateWrites): Map<string, SeriesPlan> {
    const series = new Map<string, SeriesPlan>();
    for (const [key, newest] of writes.latest) {
      series.set(key, {
        key: { asset_id: newest.asset_id, measurement: newest.measurement },
        newest,
        readings: [],
        minEmission: '',
        maxEmission: '',
      });
    }
    for (const e of writes.readings.values()) {
      const plan = series.get(latestKeyOf(e));
      if (!plan) throw new RangeError(`reading ${e.event_id} has no series in the batch's latest writes`);
      const order = emissionOrder(e);
      if (plan.readings.length === 0 || order < plan.minEmission) plan.minEmission = order;
      if (plan.readings.length === 0 || order > plan.maxEmission) plan.maxEmission = order;
      plan.readings.push(e);
    }
    return series;
  }

  /** One UpdateItem with retries on throttling: `applied`, `stale` (condition failed) or the error. */
  private async update(plan: SeriesPlan, write: LatestWrite): Promise<'applied' | 'stale' | Error> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.doc.send(new UpdateCommand(latestUpdate(plan.key, write, this.latestTable)));
        return 'applied';
      } catch (err) {
        if (
          err instanceof ConditionalCheckFailedException ||
          (err as Error).name === 'ConditionalCheckFailedException'
        ) {
          // Someone stored a newer value since we read: apply each part on its own condition.
          if (write.reading && write.readingsHw !== undefined) {
            const hw = await this.update(plan, { readingsHw: write.readingsHw });
            if (hw instanceof Error) return hw;
            return this.update(plan, { reading: write.reading });
          }
          return 'stale';
        }
        if (!isThrottle(err) || attempt >= RETRY.attempts) {
          return new StateWriteError(
            `latest ${plan.key.asset_id}/${plan.key.measurement}: ${(err as Error).message}`,
            this.latestTable,
            { cause: err },
          );
        }
        await this.sleep(this.backoff(attempt));
      }
    }
  }

  private async storedLatest(
    series: ReadonlyMap<string, SeriesPlan>,
    failed: Map<string, Error>,
  ): Promise<Map<string, StoredLatest>> {
    const out = new Map<string, StoredLatest>();
    const keys = [...series.values()].map((p) => p.key);
    await this.batchGet(
      this.latestTable,
      keys,
      ['asset_id', 'measurement', LATEST_META.order, LATEST_META.readingsHw],
      {
        found: (item) => {
          const order = item[LATEST_META.order];
          const hw = item[LATEST_META.readingsHw];
          out.set(itemKey(item.asset_id as string, item.measurement as string), {
            ...(typeof order === 'string' ? { order } : {}),
            ...(typeof hw === 'string' ? { readingsHw: hw } : {}),
          });
        },
        failed: (key, error) => failed.set(itemKey(key.asset_id as string, key.measurement as string), error),
      },
    );
    return out;
  }

  private async storedEmissions(
    events: readonly ReadingEvent[],
    failed: Map<string, Error>,
  ): Promise<Map<string, StoredEmission>> {
    const out = new Map<string, StoredEmission>();
    const keys = events.map((e) => ({ asset_id: e.asset_id, sk: readingSortKey(e.ts, e.measurement) }));
    await this.batchGet(this.readingsTable, keys, ['asset_id', 'sk', ...EMISSION_ATTRIBUTES], {
      found: (item) => out.set(itemKey(item.asset_id as string, item.sk as string), item as unknown as StoredEmission),
      failed: (key, error) => failed.set(itemKey(key.asset_id as string, key.sk as string), error),
    });
    return out;
  }

  /** BatchGetItem of `keys` (projected), retrying unprocessed keys and throttling. */
  private async batchGet(
    table: string,
    keys: readonly Record<string, unknown>[],
    attributes: readonly string[],
    on: { found(item: Record<string, unknown>): void; failed(key: Record<string, unknown>, error: Error): void },
  ): Promise<void> {
    const names = Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a]));
    await inPool(chunks(keys, BATCH_GET_MAX), WRITE_CONCURRENCY, async (chunk) => {
      let pending: Record<string, unknown>[] = chunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        try {
          const res = await this.o.doc.send(
            new BatchGetCommand({
              RequestItems: {
                [table]: {
                  Keys: pending,
                  ProjectionExpression: Object.keys(names).join(', '),
                  ExpressionAttributeNames: names,
                },
              },
            }),
          );
          for (const item of res.Responses?.[table] ?? []) on.found(item);
          pending = (res.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
        } catch (err) {
          if (!isThrottle(err)) {
            const error = new StateWriteError(`reading ${table}: ${(err as Error).message}`, table, { cause: err });
            for (const k of pending) on.failed(k, error);
            return;
          }
        }
        if (pending.length === 0) return;
        if (attempt >= RETRY.attempts) {
          const error = new StateWriteError(
            `reading ${table}: ${pending.length} key(s) still unprocessed after ${attempt} attempts`,
            table,
          );
          for (const k of pending) on.failed(k, error);
          return;
        }
        await this.sleep(this.backoff(attempt));
      }
    });
  }

  private async putChunk(chunk: readonly ReadingEvent[], failed: Map<string, Error>): Promise<void> {
    let requests = chunk.map((e) => ({
      PutRequest: { Item: readingItem(e, this.o.ttlDays) as unknown as Record<string, unknown> },
    }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      try {
        const res = await this.o.doc.send(new BatchWriteCommand({ RequestItems: { [this.readingsTable]: requests } }));
        requests = (res.UnprocessedItems?.[this.readingsTable] ?? []) as typeof requests;
      } catch (err) {
        if (!isThrottle(err)) {
          for (const r of requests)
            failed.set(
              keyOfItem(r.PutRequest.Item),
              new StateWriteError(`writing readings: ${(err as Error).message}`, this.readingsTable, { cause: err }),
            );
          return;
        }
      }
      if (requests.length === 0) return;
      if (attempt >= RETRY.attempts) {
        for (const r of requests) {
          failed.set(
            keyOfItem(r.PutRequest.Item),
            new StateWriteError(
              `writing readings: ${requests.length} item(s) still unprocessed after ${attempt} attempts`,
              this.readingsTable,
            ),
          );
        }
        return;
      }
      await this.sleep(this.backoff(attempt));
    }
  }

  private backoff(attempt: number): number {
    return backoffMs(RETRY, attempt, this.random);
  }
}

function keyOfItem(item: Record<string, unknown>): string {
  return itemKey(item.asset_id as string, item.sk as string);
}
