/**
 * The lake as Firehose leaves it, for a month of generated substations: the generated
 * file split by the splitter core, then the local Firehose core (`LakeDelivery`) on an
 * event-time clock with Firehose's buffering interval (300 s). Live, readings arrive in
 * time order and every day partition gets an object every five minutes, each holding
 * every asset's readings of those minutes: that is what a query for one asset has to
 * read before compaction.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LakeDelivery, type ObjectSink } from '../../../src/lake/delivery.ts';
import { DuckDbParquetWriter } from '../../../src/lake/parquet.ts';
import { FIREHOSE_CONVERSION, partitionOfKey, type PartitionValues } from '../../../src/shared/glue.ts';
import { deaggregate, type AggregatedRecord } from '../../../src/shared/kpl.ts';
import { splitGenerated, START } from '../lake.ts';
import type { LakeOpsDataset } from './context.ts';

export async function buildDataset(dir: string, substations: number, days: number): Promise<LakeOpsDataset> {
  const began = performance.now();
  const root = join(dir, 'uncompacted');
  const days_ = new Map<string, PartitionValues>();
  const replay = await firehoseReplay({
    async put(key, body) {
      const file = join(root, ...key.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
      const p = partitionOfKey(key);
      if (p) days_.set(`${p.y}-${p.m}-${p.d}`, p);
    },
  });
  const readings = await splitGenerated(join(dir, 'gen'), substations, days, (r) => replay.accept(r));
  await replay.finish();
  const partitions = [...days_.keys()].sort().map((d) => days_.get(d) as PartitionValues);
  return {
    uncompactedRoot: root,
    partitions,
    readings,
    substations,
    days,
    year: START.slice(0, 4),
    month: START.slice(5, 7),
    build_s: Math.round((performance.now() - began) / 100) / 10,
  };
}

export interface FirehoseReplay {
  /** One aggregated record of the stream, in time order; writes what falls due. */
  accept(r: AggregatedRecord): Promise<void>;
  /** Writes what is still buffered and closes the Parquet writer. */
  finish(): Promise<void>;
}

/**
 * The local Firehose core fed records on an event-time clock (each record's newest
 * reading time stands in for the arrival time of a live feed), writing to `sink`.
 */
export async function firehoseReplay(sink: ObjectSink): Promise<FirehoseReplay> {
  const writer = await DuckDbParquetWriter.open({ threads: 2 });
  let clock = 0;
  let seq = 0;
  const delivery = new LakeDelivery({
    writer,
    sink,
    buffering: {
      sizeBytes: FIREHOSE_CONVERSION.buffering.sizeMiB * 1024 * 1024,
      intervalMs: FIREHOSE_CONVERSION.buffering.intervalSeconds * 1000,
    },
    now: () => clock,
  });
  return {
    async accept(r) {
      const units = deaggregate({ data: r.data, partitionKey: r.partitionKey, sequenceNumber: '0' });
      const last = units[units.length - 1];
      if (last) clock = Math.max(clock, Date.parse((JSON.parse(last.data.toString()) as { ts: string }).ts));
      if (delivery.hasDue(clock)) {
        const out = await delivery.flushDue();
        if (out.failures.length) throw out.failures[0];
      }
      delivery.accept('bench', [
        { sequenceNumber: String(++seq), partitionKey: r.partitionKey, data: r.data, arrival: new Date(clock) },
      ]);
    },
    async finish() {
      const out = await delivery.flushAll();
      if (out.failures.length) throw out.failures[0];
      await writer.close();
    },
  };
}
