/**
 * `stale_feed`, pure: an asset (a feed) that has sent nothing for `periods` × its interval,
 * judged in event time only, so the same data gives the same incidents however fast it
 * is processed (live, replayed, backfilled, a month ingested at once).
 *
 * - interval(A) is A's interval by the one definition (`intervalMs` of
 *   `src/shared/expected.ts`): the registry's `interval_minutes` when it gives one, else
 *   A's cadence over its last `history` distinct reading times.
 * - A is stale from `due = last(A) + periods × interval(A)`. The incident opens at `due`
 *   (its id is derived from A and that instant, i.e. from A and last(A)), and closes at
 *   A's next reading.
 * - Two ways to see it, one incident: A's next reading shows the gap had been longer
 *   than that (`advanceFeed`: open and close at once), or, while A is still silent, the
 *   network's low watermark passes `due` (`openDue`). Notification ids are
 *   deterministic and stored by conditional puts, so whichever comes first, the other
 *   adds nothing.
 * - The low watermark is the minimum over the stream's shards of the newest reading
 *   each shard's consumer has applied, shards idle (no records for `idle_minutes` of
 *   wall-clock time) left out. Wall-clock time decides only when an incident is raised,
 *   never what it contains.
 */
import { intervalMs, observedCadenceMs } from '../../shared/expected.ts';
import type { Transition } from './incidents.ts';
import type { RulesConfig } from './rules/config.ts';

/** The subject of a feed's incidents (where a series incident has its measurement). */
export const FEED_SUBJECT = 'feed';

/** What is kept per asset (a feed): plain JSON. */
export interface FeedState {
  readonly asset_id: string;
  readonly substation_id: string;
  /** Newest reading time applied, epoch ms. */
  readonly last: number;
  /** Its last `history` distinct reading times, oldest first (`last` the newest). */
  readonly times: readonly number[];
  /** `last` of the silence whose incident has been opened (by the watermark), if any. */
  readonly opened?: number | undefined;
  /** The registry's interval (ms) when A last advanced, if it gives one: it wins over the cadence. */
  readonly registry_ms?: number | undefined;
  /** The partition key A's readings arrive under (its substation, the splitter's key); absent in feeds stored before it was kept. */
  readonly key?: string | undefined;
}

/**
 * One watermark source: a partition key (a substation) of one shard. The splitter
 * aggregates readings per partition key (KPL), so one shard carries several keys' records
 * interleaved hours apart in event time; a shard's own newest reading would run ahead of
 * its other keys. So each key of a shard is a source, and a shard's watermark is the
 * minimum over its active keys (Flink's per-partition watermarks and idle sources).
 */
export interface ShardMark {
  readonly shard_id: string;
  readonly key: string;
  /** Newest reading time the shard's consumer has applied, epoch ms. */
  readonly wm: number;
  /** When its consumer last had records, wall-clock epoch ms. */
  readonly active_at: number;
}

type StaleConfig = RulesConfig['stale_feed'];

/** The asset's interval (ms) by the shared definition; undefined until two times are known, unless the registry gives it. */
export function intervalOf(feed: Pick<FeedState, 'times' | 'registry_ms'>): number | undefined {
  return intervalMs(observedCadenceMs(feed.times), feed.registry_ms);
}

/** The instant A becomes stale if nothing more arrives; undefined while its interval is unknown. */
export function dueOf(feed: Pick<FeedState, 'times' | 'last' | 'registry_ms'>, c: StaleConfig): number | undefined {
  const interval = intervalOf(feed);
  return interval === undefined ? undefined : feed.last + c.periods * interval;
}

/**
 * The low watermark: the minimum of the active shards' watermarks. Undefined when every
 * shard is idle: a network silent as a whole is a pipeline problem (the stream's alarms,
 * `status`), not a feed problem.
 */
export function lowWatermark(shards: readonly ShardMark[], nowMs: number, c: StaleConfig): number | undefined {
  const idleMs = c.idle_minutes * 60_000;
  const active = shards.filter((s) => nowMs - s.active_at < idleMs);
  return active.length ? Math.min(...active.map((s) => s.wm)) : undefined;
}

/**
 * Whether the low watermark speaks for A at all: only once A's own partition key is one of
 * its sources. A consumer stores a batch's feeds before it raises that batch's keys'
 * watermarks (so a watermark never runs ahead of its feeds); in between, or while the
 * key's first mark is not yet visible, a new key's feeds exist but the minimum is taken
 * without them, from other keys that may be hours ahead in event time. Judged then, a
 * substation's first readings looked like a silence (bench `lake-ops`: 4 false incidents
 * of one substation at its first readings, precision 5/9).
 */
export function judgeable(feed: Pick<FeedState, 'key' | 'substation_id'>, shards: readonly ShardMark[]): boolean {
  const key = feed.key ?? feed.substation_id;
  return shards.some((s) => s.key === key);
}

function transition(
  kind: 'open' | 'close',
  feed: FeedState,
  due: number,
  interval: number,
  t: number,
  c: StaleConfig,
): Transition {
  const minutes = (ms: number): number => Math.round((ms / 60_000) * 10) / 10;
  return {
    kind,
    rule: 'stale_feed',
    openedAt: due,
    t,
    severity: c.severity,
    value: minutes(c.periods * interval),
    threshold: minutes(c.periods * interval),
    unit: 'min',
    detail:
      kind === 'open'
        ? `${feed.asset_id} sent nothing after ${new Date(feed.last).toISOString()} (every ${minutes(interval)} min expected)`
        : `${feed.asset_id} reporting again after ${minutes(t - feed.last)} min of silence`,
  };
}

export interface FeedStep {
  readonly feed: FeedState;
  readonly transitions: readonly Transition[];
  /** False when nothing changed (every time already seen): nothing to write. */
  readonly changed: boolean;
}

/**
 * A's reading times from one batch, in any order. Times at or before `last` change
 * nothing (a duplicate, a replay, or a late reading inside an old silence: the silence
 * was real when it was judged). A time after a silence longer than `periods` intervals
 * opens and closes that silence's incident.
 */
export function advanceFeed(
  prev: FeedState | undefined,
  meta: { asset_id: string; substation_id: string; registry_ms?: number | undefined; key?: string | undefined },
  times: readonly number[],
  c: StaleConfig,
): FeedStep {
  const registry = {
    ...(meta.registry_ms === undefined ? {} : { registry_ms: meta.registry_ms }),
    ...(meta.key === undefined ? {} : { key: meta.key }),
  };
  let feed: FeedState | undefined = prev;
  const transitions: Transition[] = [];
  for (const t of [...new Set(times)].sort((a, b) => a - b)) {
    if (!feed) {
      feed = { asset_id: meta.asset_id, substation_id: meta.substation_id, last: t, times: [t], ...registry };
      continue;
    }
    if (t <= feed.last) continue;
    // the silence just ended is judged by the interval known while it lasted (the previous state's)
    const interval = intervalOf(feed);
    if (interval !== undefined && t - feed.last > c.periods * interval) {
      const due = feed.last + c.periods * interval;
      transitions.push(transition('open', feed, due, interval, due, c), transition('close', feed, due, interval, t, c));
    }
    feed = {
      asset_id: feed.asset_id,
      substation_id: feed.substation_id,
      last: t,
      times: [...feed.times, t].slice(-c.history),
      ...registry,
    };
  }
  if (!feed) throw new RangeError('advanceFeed needs a previous state or at least one time');
  return { feed, transitions, changed: feed !== prev };
}

/** The open transition of a feed whose `due` the low watermark has passed; undefined when it is not due or already opened. */
export function openDue(feed: FeedState, lowWm: number, c: StaleConfig): Transition | undefined {
  const interval = intervalOf(feed);
  if (interval === undefined || feed.opened === feed.last) return undefined;
  const due = feed.last + c.periods * interval;
  return due <= lowWm ? transition('open', feed, due, interval, due, c) : undefined;
}
