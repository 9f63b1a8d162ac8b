/**
 * Prints the cost estimate of docs/cost.md: `npx tsx infra/cost/estimate.ts`.
 *
 * Measures what the real splitter emits for realistic LV monitor data (the seeded
 * generator, 50 substations, two days at 30-minute readings): event size, KPL
 * aggregation, CSV size per reading. Then prices 1 M and 100 M readings a month with
 * `rates.ts`, with and without aggregation.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/generate/index.ts';
import { splitBody, type QuarantineSink, type RecordSink } from '../../src/producers/splitter/core.ts';
import { recordPayloadBytes } from '../../src/producers/splitter/billing.ts';
import { bucketName } from '../../src/shared/resources.ts';
import { ASSUMPTIONS, estimate, type Estimate, type Measured } from './model.ts';
import { RATES } from './rates.ts';

export async function measure(): Promise<Measured & { readings: number; records: number }> {
  const out = join(tmpdir(), `dubegrid-cost-${process.pid}`);
  try {
    const generated = await generate({ out, substations: 50, days: 2, intervalMinutes: 30, seed: 7 });
    let events = 0;
    let eventBytes = 0;
    let records = 0;
    let recordBytes = 0;
    let keyBytes = 0;
    let csvBytes = 0;
    for (const file of generated.files) {
      const body = await readFile(file.path);
      csvBytes += body.length;
      const sink: RecordSink = {
        needsDrain: false,
        drain: async () => undefined,
        put(r) {
          records += 1;
          recordBytes += recordPayloadBytes(r.data.length, r.partitionKey);
          keyBytes += Buffer.byteLength(r.partitionKey);
        },
      };
      const quarantine: QuarantineSink = { needsDrain: false, drain: async () => undefined, add: () => undefined };
      const source = {
        bucket: bucketName('123456789012', 'eu-west-2'),
        key: 'raw/prod/lv/y=2025/m=08/lv_data_2025_08.csv',
        etag: 'd41d8cd98f00b204e9800998ecf8427e',
      };
      const summary = await splitBody(
        (async function* () {
          yield body;
        })(),
        { source, ingestedAt: '2025-09-01T00:00:00.000Z' },
        sink,
        quarantine,
      );
      events += summary.events_emitted;
      eventBytes += summary.event_bytes;
    }
    return {
      readings: events,
      records,
      eventBytes: eventBytes / events,
      partitionKeyBytes: keyBytes / records,
      eventsPerRecord: events / records,
      recordBytes: recordBytes / records,
      csvBytesPerReading: csvBytes / events,
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const usd = (x: number): string => (x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(3)}`);

function byService(e: Estimate): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of e.lines) m.set(l.service, (m.get(l.service) ?? 0) + l.usd);
  return m;
}

export function table(scales: readonly number[], measured: Measured): string {
  const cols = scales.flatMap((n) => [
    estimate(n, measured, RATES, { aggregated: true }),
    estimate(n, measured, RATES, { aggregated: false }),
  ]);
  const head = scales.flatMap((n) => [`${n / 1e6} M, KPL`, `${n / 1e6} M, one record per reading`]);
  const services = [...byService(cols[0] as Estimate).keys()];
  const rows = services.map((s) => `| ${s} | ${cols.map((c) => usd(byService(c).get(s) ?? 0)).join(' | ')} |`);
  return [
    `| USD / month | ${head.join(' | ')} |`,
    `|---|${head.map(() => '---:').join('|')}|`,
    ...rows,
    `| **Total** | ${cols.map((c) => `**${usd(c.totalUsd)}**`).join(' | ')} |`,
  ].join('\n');
}

export function kinesisTable(scales: readonly number[], measured: Measured): string {
  const rows = scales.flatMap((n) =>
    (['on-demand', 'provisioned'] as const).map((capacity) => {
      const k = (aggregated: boolean) =>
        estimate(n, measured, RATES, { aggregated, capacity })
          .lines.filter((l) => l.service === 'Kinesis' || l.service === 'Firehose')
          .reduce((s, l) => s + l.usd, 0);
      const withKpl = k(true);
      const without = k(false);
      return `| ${n / 1e6} M | ${capacity} | ${usd(withKpl)} | ${usd(without)} | ${usd(without - withKpl)} (${Math.round((1 - withKpl / without) * 100)}%) |`;
    }),
  );
  return [
    '| readings | stream capacity | Kinesis + Firehose, KPL | one record per reading | KPL saves |',
    '|---|---|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const m = await measure();
  const scales = [1e6, 100e6];
  console.log(
    `Measured on ${m.readings.toLocaleString('en-GB')} generated readings (${m.records.toLocaleString('en-GB')} KPL records):`,
  );
  console.log(
    `- event JSON ${m.eventBytes.toFixed(1)} B; ${m.eventsPerRecord.toFixed(1)} events per KPL record of ${(m.recordBytes / 1024).toFixed(1)} KiB; raw CSV ${m.csvBytesPerReading.toFixed(1)} B per reading\n`,
  );
  console.log(table(scales, m));
  console.log('');
  console.log(kinesisTable(scales, m));
  console.log('\nAssumptions:', JSON.stringify(ASSUMPTIONS));
  for (const n of scales) {
    console.log(`\n${n / 1e6} M readings, KPL, on-demand:`);
    for (const l of estimate(n, m, RATES, { aggregated: true }).lines) {
      console.log(
        `  ${l.service.padEnd(10)} ${l.item.padEnd(58)} ${l.quantity.toExponential(3).padStart(10)} ${l.unit.padEnd(9)} ${usd(l.usd)}`,
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
