/**
 * From a decoded batch to the work per window, pure. Every reading goes to its
 * series' window; a phase current also goes to its asset's phase group (the
 * `phase_imbalance` rule judges the three currents of one time together). Each
 * reading remembers the batch record it came from, so a window that cannot be
 * written fails exactly the records from its first reading on.
 */
import { checkBounds } from '../../shared/bounds.ts';
import type { UnitRegistry } from '../../shared/units.ts';
import { seriesIdOf, type ReadingEvent } from '../../shared/event.ts';
import type { DecodedRecord, RejectedReading } from '../kit/decode.ts';
import type { WindowSubject } from './alerts.ts';
import type { RulesConfig } from './rules/config.ts';
import { isPhaseCurrent, stepPhaseGroup, stepSeries } from './rules/index.ts';
import type { AssetInfo, SeriesMeta } from './rules/types.ts';
import type { WindowMeta } from './store/window-store.ts';
import type { Incoming, WindowEvaluator } from './window.ts';

/** The phase-current group of an asset. */
export const PHASE_GROUP = 'phase_current';

/** Window id of an asset's group: `#@` cannot occur in a series id (measurement slugs are `[a-z0-9_]`). */
export function groupIdOf(assetId: string, group: string): string {
  return `${assetId}#@${group}`;
}

export interface WindowWork {
  readonly id: string;
  readonly kind: 'series' | 'group';
  readonly meta: WindowMeta;
  readonly subject: WindowSubject;
  /** The series, for a series window. */
  readonly series?: SeriesMeta;
  readonly incoming: Incoming[];
  /** Batch record index of each incoming reading. */
  readonly records: number[];
}

export interface BatchPlan {
  readonly windows: Map<string, WindowWork>;
  /** Asset ids whose registry entries the rules may need. */
  readonly assets: Set<string>;
  readonly readings: number;
}

export function planBatch(decoded: readonly DecodedRecord[]): BatchPlan {
  const windows = new Map<string, WindowWork>();
  const assets = new Set<string>();
  let readings = 0;
  for (const record of decoded) {
    for (const e of record.events) {
      readings++;
      assets.add(e.asset_id);
      const incoming: Incoming = {
        component: 'v',
        t: Date.parse(e.ts),
        value: e.value,
        emission: { ingested_at: e.ingested_at, source_key: e.source_key, source_line: e.source_line },
      };
      workFor(windows, seriesIdOf(e.asset_id, e.measurement), () => seriesWork(e)).push(incoming, record.index);
      if (e.phase && isPhaseCurrent(seriesOf(e))) {
        workFor(windows, groupIdOf(e.asset_id, PHASE_GROUP), () => groupWork(e)).push(
          { ...incoming, component: e.phase as string },
          record.index,
        );
      }
    }
  }
  return { windows, assets, readings };
}

/**
 * Events the splitter should never have let through (a magnitude outside the bounds
 * table): the consumer quarantines them on its own rather than judge them.
 */
export function rejectOutOfBounds(record: DecodedRecord, units?: UnitRegistry): DecodedRecord {
  const bad: RejectedReading[] = [];
  const events: ReadingEvent[] = [];
  for (const e of record.events) {
    const verdict = checkBounds(e.unit, e.value, units);
    if (verdict.ok) events.push(e);
    else bad.push({ reason: 'invalid_event', errors: [`value: ${verdict.reason}`], raw: JSON.stringify(e) });
  }
  return bad.length ? { ...record, events, rejected: [...record.rejected, ...bad] } : record;
}

function workFor(
  windows: Map<string, WindowWork>,
  id: string,
  create: () => Omit<WindowWork, 'id' | 'incoming' | 'records'>,
) {
  let w = windows.get(id);
  if (!w) {
    w = { id, ...create(), incoming: [], records: [] };
    windows.set(id, w);
  }
  const work = w;
  return {
    push(incoming: Incoming, record: number): void {
      work.incoming.push(incoming);
      work.records.push(record);
    },
  };
}

export function seriesOf(e: ReadingEvent): SeriesMeta {
  return {
    assetId: e.asset_id,
    substationId: e.substation_id,
    feederId: e.feeder_id,
    measurement: e.measurement,
    unit: e.unit,
    phase: e.phase,
  };
}

function seriesWork(e: ReadingEvent): Omit<WindowWork, 'id' | 'incoming' | 'records'> {
  return {
    kind: 'series',
    meta: {
      kind: 'series',
      asset_id: e.asset_id,
      substation_id: e.substation_id,
      measurement: e.measurement,
      unit: e.unit,
      phase: e.phase,
    },
    subject: { assetId: e.asset_id, substationId: e.substation_id, subject: e.measurement },
    series: seriesOf(e),
  };
}

function groupWork(e: ReadingEvent): Omit<WindowWork, 'id' | 'incoming' | 'records'> {
  return {
    kind: 'group',
    meta: {
      kind: 'group',
      asset_id: e.asset_id,
      substation_id: e.substation_id,
      measurement: PHASE_GROUP,
      unit: e.unit,
      phase: null,
    },
    subject: { assetId: e.asset_id, substationId: e.substation_id, subject: PHASE_GROUP },
  };
}

/** How a window judges its samples: the series rules on a reading, or the phase group's rule on three currents. */
export function evaluatorFor(
  work: WindowWork,
  assetOf: (assetId: string) => AssetInfo | undefined,
  config: RulesConfig,
  units?: UnitRegistry,
): WindowEvaluator {
  if (work.kind === 'group') {
    return {
      components: ['L1', 'L2', 'L3'],
      step: (state, s) => stepPhaseGroup(state, s.t, [s.c.L1?.[0] ?? 0, s.c.L2?.[0] ?? 0, s.c.L3?.[0] ?? 0], config),
    };
  }
  const series = work.series as SeriesMeta;
  const asset = assetOf(series.assetId);
  return {
    components: ['v'],
    step: (state, s) => stepSeries(state, { t: s.t, value: s.c.v?.[0] ?? 0 }, series, asset, config, units),
  };
}
