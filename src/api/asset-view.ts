/**
 * The overview's rows: every asset in the registry or seen in `latest`, its rating,
 * its latest load against that rating, its open incidents and its status. Pure: the
 * stores' answers in, the rows out. `watchdog` says whether the stale_feed watchdog has
 * data, i.e. whether an absent `stale_feed` incident means "not stale" (`status.ts`).
 *
 * Load is measured as the summaries measure utilisation (`src/shared/queries.ts`): a
 * feeder's highest phase current against its rated current, a substation's apparent
 * power (as sent, else |P + jQ|) against its transformer's kVA.
 */
import type { IncidentRecord } from '../consumers/anomaly/alerts.ts';
import type { AssetItem } from '../shared/asset-item.ts';
import { SUMMARY_MEASUREMENTS } from '../shared/queries.ts';
import type { LatestPoint } from './deps.ts';
import type { AssetSummary } from './schemas.ts';
import { assetStatus } from './status.ts';

export interface AssetView {
  readonly networkNewest: string | null;
  readonly assets: AssetSummary[];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function assetView(
  registry: readonly AssetItem[],
  latest: readonly LatestPoint[],
  incidents: readonly IncidentRecord[],
  watchdog: boolean,
): AssetView {
  const byAsset = new Map<string, LatestPoint[]>();
  let networkNewest: string | undefined;
  for (const p of latest) {
    const list = byAsset.get(p.asset_id);
    if (list) list.push(p);
    else byAsset.set(p.asset_id, [p]);
    if (networkNewest === undefined || p.ts > networkNewest) networkNewest = p.ts;
  }
  const open = new Map<string, number>();
  const staleFeed = new Set<string>();
  for (const i of incidents) {
    if (i.status !== 'open') continue;
    open.set(i.asset_id, (open.get(i.asset_id) ?? 0) + 1);
    if (i.rule === 'stale_feed') staleFeed.add(i.asset_id);
  }
  const registered = new Map(registry.map((a) => [a.asset_id, a]));
  const ids = [...new Set([...registered.keys(), ...byAsset.keys()])].sort();
  const networkNewestMs = networkNewest === undefined ? undefined : Date.parse(networkNewest);
  const assets = ids.map((id): AssetSummary => {
    const reg = registered.get(id);
    const points = byAsset.get(id) ?? [];
    const newest = points.reduce<string | undefined>((m, p) => (m === undefined || p.ts > m ? p.ts : m), undefined);
    const first = points[0];
    const kind = reg?.kind ?? (id.includes(':') ? 'feeder' : 'substation');
    const rating = kind === 'feeder' ? (reg?.rated_current_a ?? null) : (reg?.transformer_kva ?? null);
    const load = loadOf(kind, points);
    const openIncidents = open.get(id) ?? 0;
    return {
      asset_id: id,
      kind,
      substation_id: reg?.substation_id ?? first?.substation_id ?? id.split(':')[0] ?? id,
      substation_name: reg?.substation_name ?? first?.substation_name ?? '',
      feeder_id: reg?.feeder_id ?? first?.feeder_id ?? '',
      in_registry: reg !== undefined,
      rating,
      rating_unit: rating === null ? null : kind === 'feeder' ? 'A' : 'kVA',
      load: load === undefined ? null : round2(load),
      load_pct: load !== undefined && rating !== null && rating > 0 ? round2((load / rating) * 100) : null,
      newest_reading: newest ?? null,
      open_incidents: openIncidents,
      status: assetStatus({
        newestMs: newest === undefined ? undefined : Date.parse(newest),
        networkNewestMs,
        openIncidents,
        staleFeedOpen: staleFeed.has(id),
        watchdog,
      }),
      latitude: reg?.latitude ?? null,
      longitude: reg?.longitude ?? null,
    };
  });
  return { networkNewest: networkNewest ?? null, assets };
}

/** The latest load in the rating's unit: A for a feeder, kVA for a substation. */
export function loadOf(kind: 'substation' | 'feeder', points: readonly LatestPoint[]): number | undefined {
  const value = (m: string): number | undefined => points.find((p) => p.measurement === m)?.value;
  const M = SUMMARY_MEASUREMENTS;
  if (kind === 'feeder') {
    const currents = M.current.map(value).filter((x) => x !== undefined);
    return currents.length ? Math.max(...currents) : undefined;
  }
  const kva = value(M.apparentPower);
  if (kva !== undefined) return kva;
  const kw = value(M.activePower);
  const kvar = value(M.reactivePower);
  return kw !== undefined && kvar !== undefined ? Math.hypot(kw, kvar) : undefined;
}
