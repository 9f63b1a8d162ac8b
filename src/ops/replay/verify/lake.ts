/**
 * The lake as verify reads it: the deduplicated `readings` relation (one row per event
 * id, the winning correction), through the same SQL engine `dubegrid query` uses —
 * DuckDB over a fresh mirror of the processed objects locally, Athena on AWS.
 *
 * Locally each day's event ids are read and summed with `EventIdDigest`. On AWS reading
 * every id back through Athena's result pages would take hours for a large lake, so
 * Athena adds up the same 64-bit terms itself — the first 16 hex digits of the event id
 * (`eventIdTerm`), as two 32-bit halves so no sum overflows a BIGINT — and the sums
 * become an `EventIdDigest`. Athena only reads months it is asked for (partition
 * projection), so the months come from the manifests.
 */
import { openSqlEngine } from '../../query/open.ts';
import type { SqlEngine } from '../../query/result.ts';
import type { Clients } from '../../../shared/clients.ts';
import { EventIdDigest } from '../../../shared/event.ts';
import { GLUE } from '../../../shared/resources.ts';
import { DayDigests, type ReadingRef } from './model.ts';

export interface LakeReader {
  /** Count and digest of the lake's distinct event ids, per day. */
  digests(): Promise<DayDigests>;
  /** The lake's readings of the given days, by event id. */
  readingsOfDays(days: ReadonlySet<string>): Promise<Map<string, ReadingRef>>;
  close(): Promise<void>;
}

const V = GLUE.viewName;

/** `cacheDir`: the data dir's cache (locally); `months`: `YYYY-MM` the readings span (AWS). */
export async function openLakeReader(
  clients: Clients,
  cacheDir: string | undefined,
  months: readonly string[],
): Promise<LakeReader> {
  if (clients.target === 'local') {
    if (!cacheDir) throw new Error('the embedded lake reader needs the data dir');
    const { engine } = await openSqlEngine(clients, cacheDir);
    return new LocalLakeReader(engine);
  }
  const { engine } = await openSqlEngine(clients, cacheDir ?? '');
  return new AthenaLakeReader(engine, months);
}

const partsOf = (day: string): [string, string, string] => [day.slice(0, 4), day.slice(5, 7), day.slice(8, 10)];

async function readingsOf(engine: SqlEngine, days: ReadonlySet<string>): Promise<Map<string, ReadingRef>> {
  const out = new Map<string, ReadingRef>();
  for (const day of days) {
    const res = await engine.run(
      `SELECT event_id, asset_id, measurement, ts, value FROM ${V} WHERE y = ? AND m = ? AND d = ?`,
      partsOf(day),
    );
    for (const [eventId, assetId, measurement, ts, value] of res.rows) {
      out.set(String(eventId), {
        event_id: String(eventId),
        asset_id: String(assetId),
        measurement: String(measurement),
        ts: String(ts),
        ...(typeof value === 'number' ? { value } : {}),
      });
    }
  }
  return out;
}

/** Locally: every event id read back (exported for the lake reader contract). */
export class LocalLakeReader implements LakeReader {
  constructor(private readonly engine: SqlEngine) {}

  async digests(): Promise<DayDigests> {
    const out = new DayDigests();
    const days = await this.engine.run(`SELECT DISTINCT y, m, d FROM ${V} ORDER BY y, m, d`);
    for (const [y, m, d] of days.rows) {
      const day = `${String(y)}-${String(m)}-${String(d)}`;
      const ids = await this.engine.run(`SELECT event_id FROM ${V} WHERE y = ? AND m = ? AND d = ?`, partsOf(day));
      for (const [id] of ids.rows) out.add(day, String(id));
    }
    return out;
  }

  readingsOfDays(days: ReadonlySet<string>): Promise<Map<string, ReadingRef>> {
    return readingsOf(this.engine, days);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

/** Athena's sum of `eventIdTerm` per day, as two 32-bit halves (strings: the sums exceed a double's precision). */
export const ATHENA_DIGEST_SQL =
  `SELECT y, m, d, count(*) AS n, ` +
  `CAST(sum(from_base(substr(event_id, 1, 8), 16)) AS varchar) AS hi, ` +
  `CAST(sum(from_base(substr(event_id, 9, 8), 16)) AS varchar) AS lo ` +
  `FROM ${V} WHERE y = ? AND m = ? GROUP BY y, m, d`;

/** The digest of a day from the summed halves: Σ(hi·2³² + lo) = Σhi·2³² + Σlo. */
export function digestOfHalves(hi: bigint, lo: bigint, count: number): EventIdDigest {
  return EventIdDigest.ofSum((hi << 32n) + lo, count);
}

/** On AWS: Athena sums the digest terms (exported for the lake reader contract). */
export class AthenaLakeReader implements LakeReader {
  constructor(
    private readonly engine: SqlEngine,
    private readonly months: readonly string[],
  ) {}

  async digests(): Promise<DayDigests> {
    const out = new DayDigests();
    for (const month of this.months) {
      const res = await this.engine.run(ATHENA_DIGEST_SQL, [month.slice(0, 4), month.slice(5, 7)]);
      for (const [y, m, d, n, hi, lo] of res.rows) {
        const day = `${String(y)}-${String(m)}-${String(d)}`;
        out.days.set(day, digestOfHalves(BigInt(String(hi)), BigInt(String(lo)), Number(n)));
        out.total.merge(out.days.get(day) as EventIdDigest);
      }
    }
    return out;
  }

  readingsOfDays(days: ReadonlySet<string>): Promise<Map<string, ReadingRef>> {
    return readingsOf(this.engine, days);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
