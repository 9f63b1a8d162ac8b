/**
 * stale_feed's interval is the one definition of "expected" (src/shared/expected.ts):
 * the registry's interval_minutes when it gives one, else the observed cadence. A feeder
 * reporting hourly whose registry says every 10 minutes is stale after 30 minutes of
 * silence, not after 3 hours.
 */
import { describe, expect, it } from 'vitest';
import {
  advanceFeed,
  dueOf,
  intervalOf,
  judgeable,
  openDue,
  type ShardMark,
} from '../../src/consumers/anomaly/stale-feed.ts';
import { RULE_DEFAULTS } from '../../src/consumers/anomaly/rules/config.ts';

const C = RULE_DEFAULTS.stale_feed;
const MIN = 60_000;
const T0 = Date.UTC(2025, 7, 4);
const hourly = [0, 1, 2, 3].map((h) => T0 + h * 60 * MIN);
const meta = { asset_id: 'S:01', substation_id: 'S' };

describe('stale_feed honours the registry interval', () => {
  it('without one, the observed hourly cadence: due 3 h after the last reading', () => {
    const { feed } = advanceFeed(undefined, meta, hourly, C);
    expect(intervalOf(feed)).toBe(60 * MIN);
    expect(dueOf(feed, C)).toBe(T0 + 6 * 60 * MIN);
  });

  it('with one, the registry wins: due 3 × 10 min after the last reading', () => {
    const { feed } = advanceFeed(undefined, { ...meta, registry_ms: 10 * MIN }, hourly, C);
    expect(intervalOf(feed)).toBe(10 * MIN);
    expect(dueOf(feed, C)).toBe(T0 + 3 * 60 * MIN + 30 * MIN);
    expect(openDue(feed, T0 + 3 * 60 * MIN + 29 * MIN, C)).toBeUndefined();
    expect(openDue(feed, T0 + 3 * 60 * MIN + 30 * MIN, C)).toMatchObject({
      kind: 'open',
      openedAt: T0 + 3 * 60 * MIN + 30 * MIN,
      threshold: 30,
    });
  });

  it('a reading after a silence longer than 3 registry intervals opens and closes it; the same gap within the cadence does not', () => {
    const next = T0 + 4 * 60 * MIN;
    const registered = advanceFeed(undefined, { ...meta, registry_ms: 10 * MIN }, [...hourly, next], C);
    expect(registered.transitions.map((t) => [t.kind, t.openedAt])).toEqual([
      ['open', T0 + 30 * MIN],
      ['close', T0 + 30 * MIN],
      ['open', T0 + 90 * MIN],
      ['close', T0 + 90 * MIN],
      ['open', T0 + 150 * MIN],
      ['close', T0 + 150 * MIN],
      ['open', T0 + 210 * MIN],
      ['close', T0 + 210 * MIN],
    ]);
    expect(advanceFeed(undefined, meta, [...hourly, next], C).transitions).toEqual([]);
  });
});

describe('stale_feed judges a feed only once its own key has a watermark', () => {
  const mark = (key: string): ShardMark => ({ shard_id: 'shardId-0', key, wm: T0, active_at: 0 });
  it('by the key its readings arrived under, kept in the feed', () => {
    const { feed } = advanceFeed(undefined, { ...meta, key: 'K' }, hourly, C);
    expect(feed.key).toBe('K');
    expect(judgeable(feed, [mark('S'), mark('other')])).toBe(false);
    expect(judgeable(feed, [mark('K')])).toBe(true);
  });
  it('a feed stored before the key was kept is keyed by its substation, the splitter’s partition key', () => {
    const { feed } = advanceFeed(undefined, meta, hourly, C);
    expect(judgeable(feed, [mark('other')])).toBe(false);
    expect(judgeable(feed, [mark('S')])).toBe(true);
  });
});
