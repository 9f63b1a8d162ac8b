/**
 * Resumable splitting on the embedded stack (docs/reliability.md → "Files longer than
 * one invocation"): the local invoker gives each splitter invocation a 0.5 s budget, so a
 * file that takes longer is split over many invocations, each handing the next its
 * continuation. The events and the manifest must be those of a one-shot split of the
 * same object; the quarantine entries too, spread over one object per part.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { createSplitterService, SPLITTER_SERVICE, type LocalSplitter } from '../../src/local/services/splitter.ts';
import { createSplitterHandler } from '../../src/producers/splitter/handler.ts';
import { quarantineObjectsOf, type Manifest } from '../../src/shared/manifest.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import type { QuarantineEntry } from '../../src/shared/quarantine.ts';
import { objectCreatedEvent } from '../../src/local/invoker/s3-event.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest, getQuarantine, putRaw, readStream } from './splitter.support.ts';

// short enough that the split takes several parts even on a fast machine (a part always makes progress: it stops at a
// safe point once a quarter of its budget is left)
const BUDGET_MS = 500;
const KEY = 'raw/prod/lv/y=2025/m=08/long.csv';
const GZ_KEY = 'raw/prod/lv/y=2025/m=08/long.csv.gz';
/** Every this many rows one gets a value that is no number: quarantine entries in every part. */
const BAD_EVERY = 997;
const quiet = { info: () => undefined, warn: () => undefined };

/** What a manifest must say alike however many invocations the split took. */
function accounting(m: Manifest): Record<string, unknown> {
  return {
    source: m.source,
    format: m.format,
    mapping: m.mapping,
    header: m.header,
    rows_read: m.rows_read,
    rows_accepted: m.rows_accepted,
    rows_quarantined: m.rows_quarantined,
    quarantine_reasons: m.quarantine_reasons,
    rows_without_readings: m.rows_without_readings,
    events_emitted: m.events_emitted,
    event_id_digest: m.event_id_digest,
    first_reading_ts: m.first_reading_ts,
    last_reading_ts: m.last_reading_ts,
    stopped_early: m.stopped_early,
  };
}

/** An event as the projections see it, apart from when its split ran. */
function payload(e: ReadingEvent): Omit<ReadingEvent, 'ingested_at'> {
  const { ingested_at: _at, ...rest } = e;
  return rest;
}

describe('a split longer than one invocation', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack;
  let events: ReadingEvent[];
  let resumed: Manifest;
  let oneShot: Manifest;
  let gz: Manifest;
  let resumedEntries: QuarantineEntry[];
  let resumedByObject: QuarantineEntry[][];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    stack = await startStack({
      dataDir: `${dir}/data`,
      services: [createSplitterService({ budgetMs: BUDGET_MS, reconcile: false })],
    });
    const summary = await generate({ out: `${dir}/gen`, substations: 3, days: 4, start: '2025-08-14' });
    const lines = readFileSync(summary.files[0]!.path, 'utf8').split('\n');
    const text = lines.map((l, i) => (i > 0 && i % BAD_EVERY === 0 ? l.replace(/,[^,]*$/, ',NaN') : l)).join('\n');
    const splitter = stack.service<LocalSplitter>(SPLITTER_SERVICE)!;

    // through the S3 trigger with the short budget
    await putRaw(stack.clients, KEY, text);
    await putRaw(stack.clients, GZ_KEY, gzipSync(text));
    await splitter.waitIdle();
    resumed = (await getManifest(stack.clients, KEY))!;
    gz = (await getManifest(stack.clients, GZ_KEY))!;
    // read now: the one-shot split below writes the first part's key again, with every entry
    resumedByObject = await Promise.all(quarantineObjectsOf(resumed).map((k) => getQuarantine(stack.clients, k)));
    resumedEntries = resumedByObject.flat();

    // the same object in one invocation with no time limit: the reference
    const handler = createSplitterHandler({
      s3: stack.clients.s3,
      kinesis: stack.clients.kinesis,
      stream: stack.clients.names.stream,
      log: quiet,
    });
    await handler(objectCreatedEvent({ bucket: stack.clients.names.bucket, key: KEY }, 'test'));
    oneShot = (await getManifest(stack.clients, KEY))!;
    events = (await readStream(stack.clients)).flatMap((r) => r.events);
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('took several invocations, and wrote its manifest once, at the end', () => {
    expect(resumed.parts).toBeGreaterThanOrEqual(2);
    expect(oneShot.parts).toBeUndefined();
    expect(resumed.ingested_at).not.toBe(oneShot.ingested_at);
  });

  it('says in its manifest what a one-shot split says', () => {
    expect(resumed.rows_quarantined).toBeGreaterThan(0);
    expect(accounting(resumed)).toEqual(accounting(oneShot));
    expect(resumed.quarantine.entries).toBe(oneShot.quarantine.entries);
    expect(resumed.kinesis.user_records).toBe(oneShot.kinesis.user_records);
    expect(resumed.kinesis.event_bytes).toBe(oneShot.kinesis.event_bytes);
  });

  it('put every event once, equal to the one-shot split’s, all with the first part’s ingested_at', () => {
    const byRun = (at: string): Map<string, Omit<ReadingEvent, 'ingested_at'>> => {
      const run = events.filter((e) => e.source_key === KEY && e.ingested_at === at);
      const map = new Map(run.map((e) => [e.event_id, payload(e)]));
      expect(map.size).toBe(run.length); // no row emitted twice across the parts
      return map;
    };
    const a = byRun(resumed.ingested_at);
    const b = byRun(oneShot.ingested_at);
    expect(a.size).toBe(oneShot.events_emitted);
    expect(events.filter((e) => e.source_key === KEY)).toHaveLength(2 * oneShot.events_emitted);
    expect(a).toEqual(b);
  });

  it('keeps every quarantine entry once, one quarantine object per part that had any', async () => {
    const keys = quarantineObjectsOf(resumed);
    // Which parts hold a bad row depends on where the time budget cut the file, so the count of
    // objects is not fixed (a short last part may have none): each is one part's, in part order.
    const partOf = (k: string): number => Number(/\.part-(\d+)\.jsonl$/.exec(k)?.[1] ?? 1);
    const parts = keys.map(partOf);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(parts).size).toBe(keys.length);
    expect(Math.max(...parts)).toBeLessThanOrEqual(resumed.parts ?? 1);
    const lines = resumedByObject.flatMap((entries) => entries.map((e) => e.line ?? 0));
    expect(lines).toEqual([...lines].sort((x, y) => x - y));
    const reference = await getQuarantine(stack.clients, oneShot.quarantine.key!);
    const strip = (q: QuarantineEntry[]): unknown[] =>
      q.map(({ quarantined_at: _at, ...rest }) => rest).sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
    expect(resumedEntries).toHaveLength(resumed.quarantine.entries);
    expect(strip(resumedEntries)).toEqual(strip(reference));
  });

  it('resumes a gzip object by re-reading it, with the same accounting', () => {
    expect(gz.parts).toBeGreaterThan(1);
    expect(gz.source.gzip).toBe(true);
    const { source: _s, ...same } = accounting(oneShot);
    const { source: _g, ...gzSame } = accounting(gz);
    expect(gzSame).toEqual(same);
    const gzEvents = events.filter((e) => e.source_key === GZ_KEY);
    expect(new Set(gzEvents.map((e) => e.event_id)).size).toBe(gzEvents.length);
    expect(gzEvents).toHaveLength(oneShot.events_emitted);
  });
});
