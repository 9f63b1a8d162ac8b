/**
 * What the splitter emitted, reading by reading, when the manifests' sums are not
 * enough: each raw object is split again in memory by the splitter's own core (the
 * records de-aggregated instead of put on a stream, quarantine entries only counted),
 * with the `ingested_at` of its manifest. That tells apart readings emitted once,
 * natural-key duplicates (the same event emitted again with the same value: overlapping
 * or re-uploaded files) and corrections (emitted again with another value; the later
 * emission wins), and checks each manifest against its object.
 *
 * Needed only when the sums of the manifests differ from the tables and the lake —
 * duplicates and corrections make them differ legitimately — so a clean lake is never
 * split twice. Holds one small entry per distinct reading.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { splitBody, type QuarantineSink, type RecordSink } from '../../../producers/splitter/core.ts';
import { compareEmission, EventIdDigest, type ReadingEvent } from '../../../shared/event.ts';
import { deaggregate, type AggregatedRecord } from '../../../shared/kpl.ts';
import { normaliseEtag, type Manifest } from '../../../shared/manifest.ts';
import { bucketMappings, readerUnits } from '../../../producers/splitter/mapping/stored.ts';
import type { UnitRegistry, UnitsProvider } from '../../../shared/units.ts';
import { objectChoice } from '../../../producers/splitter/split-object.ts';
import { DayDigests, dayOf, type Difference, type ReadingRef } from './model.ts';

interface Emission {
  readonly ref: ReadingRef;
  readonly emission: Pick<ReadingEvent, 'ingested_at' | 'source_key' | 'source_line'>;
  times: number;
  /** Emitted again with another value. */
  corrected: boolean;
}

export interface EmittedReadings {
  readonly digests: DayDigests;
  /** Emissions in all (what the manifests count). */
  readonly emitted: number;
  /** Emissions of a natural key emitted before with the same value. */
  readonly duplicates: number;
  /** Emissions of a natural key emitted before with another value. */
  readonly corrections: number;
  /** Some natural keys emitted more than once, to name in the report. */
  readonly examples: readonly string[];
  readonly problems: readonly Difference[];
  readingsOfDays(days: ReadonlySet<string>): Map<string, ReadingRef>;
}

const EXAMPLES = 5;

/**
 * `unitsOf`: per bucket, the units the readers accept (built-in plus the mappings'
 * declared ones); a reading emitted with any other unit is one every reader would
 * quarantine, so it is reported here and not expected in the tables or the lake.
 */
export async function splitAgain(
  s3: S3Client,
  manifests: Iterable<Manifest>,
  sourceTimeZone?: string,
  unitsOf: (bucket: string) => UnitsProvider = (bucket) => readerUnits(s3, bucket),
): Promise<EmittedReadings> {
  const providers = new Map<string, UnitsProvider>();
  const readersUnits = (bucket: string): Promise<UnitRegistry> => {
    let p = providers.get(bucket);
    if (p === undefined) providers.set(bucket, (p = unitsOf(bucket)));
    return p();
  };
  const seen = new Map<string, Emission>();
  const problems: Difference[] = [];
  let emitted = 0;
  let duplicates = 0;
  let corrections = 0;
  // the split the splitter made: the same stored mappings, the object's own --source, its shape
  const mappingsOf = bucketMappings(s3, sourceTimeZone);
  for (const m of manifests) {
    const got = await s3
      .send(new GetObjectCommand({ Bucket: m.source.bucket, Key: m.source.key }))
      .catch((err: Error) => err);
    if (got instanceof Error) {
      problems.push({
        zone: 'raw',
        check: 'raw_unreadable',
        subject: m.source.key,
        detail: `could not be read to check its readings: ${got.message.split('\n')[0]}`,
      });
      continue;
    }
    if (normaliseEtag(got.ETag) !== normaliseEtag(m.source.etag)) {
      (got.Body as { destroy?: () => void } | undefined)?.destroy?.();
      continue; // the raw zone check reports the outdated manifest
    }
    const digest = new EventIdDigest();
    const units = await readersUnits(m.source.bucket);
    let unreadable = 0;
    const sink = collectingSink((e) => {
      emitted++;
      digest.add(e.event_id);
      if (!units.has(e.unit)) {
        unreadable++;
        return;
      }
      const held = seen.get(e.event_id);
      if (!held) {
        seen.set(e.event_id, {
          ref: { event_id: e.event_id, asset_id: e.asset_id, measurement: e.measurement, ts: e.ts, value: e.value },
          emission: e,
          times: 1,
          corrected: false,
        });
        return;
      }
      held.times++;
      if (held.ref.value === e.value) duplicates++;
      else {
        corrections++;
        held.corrected = true;
        // the winner's value is what the projections hold
        if (compareEmission(e, held.emission) > 0)
          Object.assign(held, { ref: { ...held.ref, value: e.value }, emission: e });
      }
    });
    const summary = await splitBody(
      got.Body as AsyncIterable<Uint8Array>,
      {
        source: { bucket: m.source.bucket, key: m.source.key, etag: normaliseEtag(m.source.etag) },
        ingestedAt: m.ingested_at,
        sourceTimeZone,
        mappings: await mappingsOf(m.source.bucket),
        ...objectChoice(m.source.key, got.Metadata),
      },
      sink,
      countingQuarantine(),
    );
    if (unreadable > 0) {
      problems.push({
        zone: 'raw',
        check: 'unknown_unit',
        subject: m.source.key,
        detail: `${unreadable} reading(s) carry a unit no reader knows (neither built in nor declared by a mapping): the consumers quarantine them`,
      });
    }
    if (summary.events_emitted !== m.events_emitted || summary.event_id_digest !== m.event_id_digest) {
      problems.push({
        zone: 'raw',
        check: 'manifest_events',
        subject: m.source.key,
        detail: `split again it gives ${summary.events_emitted} readings (digest ${summary.event_id_digest}); its manifest says ${m.events_emitted} (digest ${m.event_id_digest})`,
      });
    }
  }
  const digests = new DayDigests();
  const examples: string[] = [];
  for (const e of seen.values()) {
    digests.add(dayOf(e.ref.ts), e.ref.event_id);
    if (e.times > 1 && examples.length < EXAMPLES)
      examples.push(
        `${e.ref.asset_id} ${e.ref.measurement} at ${e.ref.ts} emitted ${e.times} times${e.corrected ? ' with different values' : ''}`,
      );
  }
  return {
    digests,
    emitted,
    duplicates,
    corrections,
    examples,
    problems,
    readingsOfDays: (days) =>
      new Map([...seen.values()].filter((e) => days.has(dayOf(e.ref.ts))).map((e) => [e.ref.event_id, e.ref])),
  };
}

/** A record sink that reads the events back out of the aggregates the core builds. */
function collectingSink(onEvent: (e: ReadingEvent) => void): RecordSink {
  return {
    needsDrain: false,
    drain: async () => undefined,
    put(record: AggregatedRecord) {
      for (const user of deaggregate({ data: record.data, partitionKey: record.partitionKey, sequenceNumber: '0' }))
        onEvent(JSON.parse(user.data.toString('utf8')) as ReadingEvent);
    },
  };
}

function countingQuarantine(): QuarantineSink {
  return { needsDrain: false, drain: async () => undefined, add: () => undefined };
}
