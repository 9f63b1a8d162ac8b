/**
 * `--seed lake`: the 100 substations × 31 days without the hours of ingest. The
 * embedded consumers write every series' window and `latest` item per batch, and with a
 * hundred substations' readings interleaved in time a batch holds one or two readings a
 * series: measured at 100 × 31, the state and anomaly consumers applied 150–250
 * readings a second against the splitter's 2,300 (2026-12-07), so the whole month
 * through the pipeline would take this machine most of a day.
 *
 * So the labelled sample is generated whole and its files are cut in two by substation:
 * - the measured substation's rows go through the real pipeline (`runSample`): its
 *   time series, `latest`, windows and lake objects are what ingesting writes;
 * - every other substation's rows go through the splitter core and the Firehose core on
 *   an event-time clock (`firehoseReplay`, as `lake-ops` builds its month) straight into
 *   the stack's bucket, and each of their series' newest reading into `latest` with the
 *   state consumer's own update (`latestUpdate`).
 * The lake, its rollups, the registry and `latest` then hold the whole network; the time
 * series table holds the measured substation only, which is all the routes measured
 * read of it (a Query by asset, whose cost does not depend on other assets' items).
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { latestUpdate } from '../../../src/consumers/state/items.ts';
import { s3Sink } from '../../../src/lake/sink.ts';
import type { EmbeddedStack } from '../../../src/local/stack.ts';
import { inPool } from '../../../src/shared/concurrency.ts';
import type { ReadingEvent } from '../../../src/shared/event.ts';
import { deaggregate } from '../../../src/shared/kpl.ts';
import { firehoseReplay } from '../lake-ops/dataset.ts';
import { splitFiles } from '../lake.ts';

export interface CutSample {
  /** The other substations' rows, one file per month, outside the sample dir. */
  readonly direct: readonly string[];
  readonly measuredRows: number;
  readonly directRows: number;
}

/**
 * Moves the sample's readings files to `directDir` and writes back in their place only
 * the rows of `substation` (a row starts with its substation number).
 */
export async function cutSample(
  sampleDir: string,
  files: readonly string[],
  substation: string,
  directDir: string,
): Promise<CutSample> {
  const direct: string[] = [];
  let measuredRows = 0;
  let directRows = 0;
  const prefix = `${substation},`;
  for (const file of files) {
    const moved = join(directDir, relative(sampleDir, file));
    await mkdir(dirname(moved), { recursive: true });
    await rename(file, moved);
    direct.push(moved);
    const keep = createWriteStream(file);
    const rest = createWriteStream(`${moved}.rest`);
    let header = true;
    for await (const line of createInterface({ input: createReadStream(moved), crlfDelay: Infinity })) {
      if (header) {
        header = false;
        if (!keep.write(`${line}\n`)) await once(keep, 'drain');
        if (!rest.write(`${line}\n`)) await once(rest, 'drain');
        continue;
      }
      const mine = line.startsWith(prefix);
      if (mine) measuredRows++;
      else directRows++;
      const out = mine ? keep : rest;
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
    await Promise.all([new Promise((r) => keep.end(r)), new Promise((r) => rest.end(r))]);
    await rename(`${moved}.rest`, moved);
  }
  return { direct, measuredRows, directRows };
}

export interface DirectSeed {
  readonly readings: number;
  readonly latest_series: number;
  readonly seed_s: number;
}

/** The other substations' files into the lake and `latest`, as described above. */
export async function seedDirect(
  stack: EmbeddedStack,
  files: readonly string[],
  root: string,
  progress: (line: string) => void,
): Promise<DirectSeed> {
  const began = performance.now();
  const { s3, doc, names } = stack.clients;
  const replay = await firehoseReplay(s3Sink(s3, names.bucket));
  const newest = new Map<string, ReadingEvent>();
  let seen = 0;
  const readings = await splitFiles(
    files.map((path) => ({ path, key: `raw/prod/lv/${relative(root, path)}` })),
    (r) => {
      for (const u of deaggregate({ data: r.data, partitionKey: r.partitionKey, sequenceNumber: '0' })) {
        const e = JSON.parse(u.data.toString()) as ReadingEvent;
        const key = `${e.asset_id}\u0000${e.measurement}`;
        const had = newest.get(key);
        if (!had || had.ts <= e.ts) newest.set(key, e);
        if (++seen % 1_000_000 === 0) progress(`seeded ${seen.toLocaleString('en-GB')} readings into the lake …`);
      }
      return replay.accept(r);
    },
  );
  await replay.finish();
  await writeLatest(doc, names.tables.latest, [...newest.values()]);
  return { readings, latest_series: newest.size, seed_s: Math.round((performance.now() - began) / 100) / 10 };
}

async function writeLatest(doc: DynamoDBDocumentClient, table: string, events: readonly ReadingEvent[]): Promise<void> {
  await inPool(events, 8, async (e) => {
    await doc.send(
      new UpdateCommand(latestUpdate({ asset_id: e.asset_id, measurement: e.measurement }, { reading: e }, table)),
    );
  });
}
