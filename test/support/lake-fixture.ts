/**
 * Small, hand-checkable lake fixtures: reading events built the way the splitter
 * builds them (`eventIdOf`, canonical times), written as the local lake writes them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalTs, eventIdOf, type Phase, type ReadingEvent } from '../../src/shared/event.ts';
import { alertObjectKey, partitionOf, partitionPrefix } from '../../src/shared/glue.ts';
import { alertRowOf } from '../../src/consumers/anomaly/archive.ts';
import type { NotificationRecord } from '../../src/consumers/anomaly/alerts.ts';
import type { TransitionKind } from '../../src/consumers/anomaly/incidents.ts';
import type { Severity } from '../../src/consumers/anomaly/rules/types.ts';
import type { CanonicalUnit } from '../../src/shared/units.ts';
import type { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import type { AssetItem } from '../../src/shared/asset-item.ts';
import { assetRowOf, type AssetRow } from '../../src/ops/query/registry.ts';

const UNIT_OF: Record<string, CanonicalUnit> = {
  current: 'A',
  voltage: 'V',
  active: 'kW',
  reactive: 'kVAr',
  apparent: 'kVA',
};

export interface ReadingSpec {
  readonly substation: string;
  readonly feeder?: string;
  readonly name?: string | undefined;
  readonly measurement: string;
  readonly ts: string;
  readonly value: number;
  readonly ingestedAt?: string;
  readonly sourceKey?: string;
  readonly line?: number;
}

let lineNo = 1;

export function reading(spec: ReadingSpec): ReadingEvent {
  const feeder = spec.feeder ?? '';
  const assetId = feeder === '' ? spec.substation : `${spec.substation}:${feeder}`;
  const ts = canonicalTs(Date.parse(spec.ts));
  const phaseMatch = /^(l[123])_/.exec(spec.measurement);
  const kind = spec.measurement.endsWith('current')
    ? 'current'
    : spec.measurement.endsWith('voltage')
      ? 'voltage'
      : (spec.measurement.split('_')[1] ?? '');
  return {
    v: 1,
    event_id: eventIdOf(assetId, spec.measurement, ts),
    asset_id: assetId,
    substation_id: spec.substation,
    substation_name: spec.name ?? `${spec.substation} Road`,
    feeder_id: feeder,
    measurement: spec.measurement,
    phase: phaseMatch ? ((phaseMatch[1] as string).toUpperCase() as Phase) : null,
    unit: UNIT_OF[kind] ?? 'kW',
    value: spec.value,
    ts,
    source_bucket: 'dubegrid-000000000000-eu-west-2',
    source_key: spec.sourceKey ?? 'raw/prod/lv/y=2025/m=08/fixture.csv',
    source_etag: '"fixture"',
    source_line: spec.line ?? ++lineNo,
    ingested_at: spec.ingestedAt ?? '2025-09-01T00:00:00.000Z',
  };
}

/** One feeder interval: three phase currents, three phase voltages, P and Q. */
export function feederInterval(
  substation: string,
  feeder: string,
  ts: string,
  v: { kw?: number; kvar?: number; i?: readonly [number, number, number]; volts?: readonly [number, number, number] },
  name?: string,
): ReadingEvent[] {
  const out: ReadingEvent[] = [];
  const add = (measurement: string, value: number | undefined): void => {
    if (value !== undefined) out.push(reading({ substation, feeder, name, measurement, ts, value }));
  };
  add('total_active_power', v.kw);
  add('total_reactive_power', v.kvar);
  v.i?.forEach((x, k) => add(`l${k + 1}_current`, x));
  v.volts?.forEach((x, k) => add(`l${k + 1}_voltage`, x));
  return out;
}

/** Writes events into `<lakeDir>/processed/readings/y=/m=/d=/` as the lake writer does, one object per call per day. */
export async function writeLake(
  lakeDir: string,
  events: readonly ReadingEvent[],
  writer: DuckDbParquetWriter,
  tag = 'part',
): Promise<string[]> {
  const byPrefix = new Map<string, ReadingEvent[]>();
  for (const e of events) {
    const prefix = partitionPrefix(partitionOf(e.ts));
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), e]);
  }
  const keys: string[] = [];
  for (const [prefix, rows] of byPrefix) {
    const key = `${prefix}${tag}-${keys.length}.parquet`;
    const file = join(lakeDir, ...key.split('/'));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, await writer.write(rows));
    keys.push(key);
  }
  return keys;
}

/**
 * The hand-checked summary fixture (its figures are worked out in
 * test/unit/query-named.unit.spec.ts): S1 "Alpha Rd" with feeder 01 and its own
 * transformer readings, S2 "Beta St" with feeders 01 and 02; a first delivery, part of
 * it delivered again, and a later correction.
 */
export function summaryFixture() {
  const A = 'Alpha Rd';
  const B = 'Beta St';
  const firstDelivery = [
    ...feederInterval(
      'S1',
      '01',
      '2025-08-01T00:00:00Z',
      { kw: 10, kvar: 2, i: [40, 50, 60], volts: [230, 231, 232] },
      A,
    ),
    ...feederInterval(
      'S1',
      '01',
      '2025-08-01T00:10:00Z',
      { kw: 20, kvar: 4, i: [100, 100, 100], volts: [250, 254, 240] },
      A,
    ),
    ...feederInterval(
      'S1',
      '01',
      '2025-08-01T00:20:00Z',
      { kw: -5, kvar: 0, i: [20, 20, 20], volts: [215, 230, 230] },
      A,
    ),
    ...feederInterval('S1', '01', '2025-08-02T00:00:00Z', { kvar: 6, i: [90, 120, 90], volts: [230, 230, 230] }, A),
    reading({
      substation: 'S1',
      feeder: '01',
      name: A,
      measurement: 'total_active_power',
      ts: '2025-08-02T00:00:00Z',
      value: 25,
      ingestedAt: '2025-09-01T00:00:00.000Z',
      line: 7,
    }),
    ...(
      [
        ['2025-08-01T00:00:00Z', 50],
        ['2025-08-01T00:10:00Z', 80],
        ['2025-08-01T00:20:00Z', 20],
        ['2025-08-02T00:00:00Z', 60],
      ] as const
    ).map(([ts, value]) => reading({ substation: 'S1', name: A, measurement: 'total_apparent_power', ts, value })),
    reading({
      substation: 'S1',
      feeder: '01',
      name: A,
      measurement: 'total_active_power',
      ts: '2025-07-31T23:50:00Z',
      value: 999,
    }),
    ...feederInterval(
      'S2',
      '01',
      '2025-08-01T00:00:00Z',
      { kw: 5, kvar: 0, i: [10, 10, 10], volts: [240, 240, 240] },
      B,
    ),
    ...feederInterval(
      'S2',
      '01',
      '2025-08-01T00:10:00Z',
      { kw: 15, kvar: 0, i: [30, 30, 30], volts: [240, 240, 240] },
      B,
    ),
    ...feederInterval('S2', '02', '2025-08-01T00:00:00Z', { kw: 7, kvar: 0, volts: [240, 240, 240] }, B),
    ...feederInterval('S2', '02', '2025-08-01T00:10:00Z', { kw: 9, kvar: 0, volts: [240, 240, 240] }, B),
  ];
  // a second delivery (at least once) of part of it, and the correction, emitted later
  const redelivered = firstDelivery.slice(0, 10);
  const correction = reading({
    substation: 'S1',
    feeder: '01',
    name: A,
    measurement: 'total_active_power',
    ts: '2025-08-02T00:00:00Z',
    value: 30,
    ingestedAt: '2025-09-02T00:00:00.000Z',
    line: 7,
  });

  // the registry as the loader stores it: an item per feeder and one per substation
  const item = (
    substation_id: string,
    substation_name: string,
    feeder_id: string,
    transformer_kva: number,
    rated_current_a?: number,
  ): Partial<AssetItem> => ({
    asset_id: feeder_id ? `${substation_id}:${feeder_id}` : substation_id,
    kind: feeder_id ? 'feeder' : 'substation',
    substation_id,
    substation_name,
    feeder_id,
    transformer_kva,
    ...(rated_current_a === undefined ? {} : { rated_current_a }),
    has_generation: substation_id === 'S2',
  });
  const assets: AssetRow[] = [
    item('S1', A, '', 100),
    item('S1', A, '01', 100, 200),
    item('S2', B, '', 200),
    item('S2', B, '01', 200, 100),
    item('S2', B, '02', 200), // no rated current in the registry
  ].map(assetRowOf);

  // Alert notifications, by incident (expected counts in query-named.unit.spec.ts):
  //   S1:01 opened 08-01 00:10 warning, closed 00:30 warning        → 08-01: 1 alert, 0 critical
  //   S1:01 opened 08-02 00:00 critical                              → 08-02: 1 alert, 1 critical
  //   S2    opened 08-01 00:00 warning, escalated 00:10 to critical  → 08-01: 1 alert, 1 critical
  //   S1    opened 07-31 23:50 critical, closed 08-01 00:10          → July's: none in August
  const note = (
    asset_id: string,
    openedAt: string,
    kind: TransitionKind,
    ts: string,
    severity: Severity,
  ): NotificationRecord => ({
    notification_id: `${asset_id}-${openedAt}-${kind}`.replace(/[^A-Za-z0-9-]/g, '_'),
    alert_id: `${asset_id}-${openedAt}`,
    kind,
    ts: canonicalTs(Date.parse(ts)),
    asset_id,
    substation_id: asset_id.split(':')[0] as string,
    rule: 'overload',
    measurement: 'l1_current',
    severity,
    opened_at: canonicalTs(Date.parse(openedAt)),
    ...(kind === 'close' ? { closed_at: canonicalTs(Date.parse(ts)) } : {}),
    value: 1,
    threshold: 1,
    unit: 'A',
    detail: 'fixture',
  });
  const notifications = [
    note('S1:01', '2025-08-01T00:10:00Z', 'open', '2025-08-01T00:10:00Z', 'warning'),
    note('S1:01', '2025-08-01T00:10:00Z', 'close', '2025-08-01T00:30:00Z', 'warning'),
    note('S1:01', '2025-08-02T00:00:00Z', 'open', '2025-08-02T00:00:00Z', 'critical'),
    note('S2', '2025-08-01T00:00:00Z', 'open', '2025-08-01T00:00:00Z', 'warning'),
    note('S2', '2025-08-01T00:00:00Z', 'escalate', '2025-08-01T00:10:00Z', 'critical'),
    note('S1', '2025-07-31T23:50:00Z', 'open', '2025-07-31T23:50:00Z', 'critical'),
    note('S1', '2025-07-31T23:50:00Z', 'close', '2025-08-01T00:10:00Z', 'critical'),
  ];

  return { firstDelivery, redelivered, correction, assets, notifications };
}

/** Alert notifications written into the mirror as the alert lake holds them (`S3AlertArchive`'s keys and rows). */
export async function writeAlerts(lakeDir: string, notifications: readonly NotificationRecord[]): Promise<void> {
  for (const n of notifications) {
    const file = join(lakeDir, ...alertObjectKey(n).split('/'));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, alertRowOf(n));
  }
}
