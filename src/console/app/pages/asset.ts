/**
 * Asset page: load against rating, phase voltages against the statutory band, phase
 * currents, over a day / week / month ending at the asset's newest reading or a custom
 * range; the asset's alerts marked on every chart (one shared time axis) and listed.
 */
import { STATUTORY_VOLTAGE } from '../../../shared/network.ts';
import { chart, type Mark } from '../charts.ts';
import { fmt, h, markRendered, show } from '../dom.ts';
import type { PageContext } from '../main.ts';
import { alertState, alertTime } from '../alert-view.ts';
import { align, loadPct, RANGE_DAYS, rangeEnding, type Columns, type RangeName } from '../series.ts';
import { assetHref, severityColor, STATUS_COLOR } from '../status.ts';
import type { Alert, AlertList, AssetList, AssetSeries, AssetSummary } from '../types.ts';

const PHASES = ['l1', 'l2', 'l3'] as const;
const PHASE_COLORS = ['#b5533c', '#333', '#3c6db5'];
const TRANSFORMER_LOAD = 'total_apparent_power';
/** About one point per pixel of a wide chart: more would not be seen. */
const MAX_POINTS = 1_200;

export async function assetPage(ctx: PageContext): Promise<() => void> {
  const id = ctx.path[0] ?? '';
  const { assets } = await ctx.api.get<AssetList>('/api/assets');
  const asset = assets.find((a) => a.asset_id === id);
  if (!asset) throw new Error(`no asset ${id} in the registry or the latest state`);
  const rangeName = (ctx.query.get('range') ?? 'week') as RangeName | 'custom';
  const end = asset.newest_reading ?? new Date().toISOString();
  const { from, to } =
    rangeName === 'custom' && ctx.query.get('from') && ctx.query.get('to')
      ? { from: `${ctx.query.get('from')}T00:00:00.000Z`, to: `${ctx.query.get('to')}T23:59:59.999Z` }
      : rangeEnding(end, RANGE_DAYS[rangeName as RangeName] ?? RANGE_DAYS.week);

  const charts = h('div', { class: 'charts' });
  const alertList = h('div', { class: 'card' });
  show(ctx.main, header(asset), rangeBar(asset, rangeName, from, to), charts, alertList);

  const feeder = asset.kind === 'feeder';
  const measurements = feeder
    ? [...PHASES.map((p) => `${p}_current`), ...PHASES.map((p) => `${p}_voltage`)]
    : [TRANSFORMER_LOAD];
  const [alerts, data] = await Promise.all([
    ctx.api.get<AlertList>('/api/alerts', { asset: id, since: from, until: to }),
    ctx.api.get<AssetSeries>(`/api/assets/${encodeURIComponent(id)}/series`, {
      measurement: measurements.join(','),
      from,
      to,
      max_points: MAX_POINTS,
    }),
  ]);
  const empty: Columns = { t: [], v: [] };
  const series = measurements.map((m) => data.series.find((s) => s.measurement === m) ?? empty);
  const marks: Mark[] = alerts.alerts.map((a) => ({
    t: Date.parse(a.opened_at) / 1000,
    color: severityColor(a.severity),
  }));
  const range: [number, number] = [Date.parse(from) / 1000, Date.parse(to) / 1000];
  const common = { syncKey: `asset:${id}`, marks, range };
  const destroy: (() => void)[] = [];

  if (feeder) {
    const currents = align(series.slice(0, 3));
    const voltages = align(series.slice(3, 6));
    if (asset.rating)
      destroy.push(
        chart(charts, {
          ...common,
          title: 'Load against rating (most loaded phase)',
          unit: '%',
          xs: currents.xs,
          lines: [{ label: 'load', color: '#2b6cb0', values: loadPct(currents.columns, asset.rating) }],
          references: [{ value: 100, label: `rating ${asset.rating} ${asset.rating_unit ?? 'A'}`, color: '#d83933' }],
        }),
      );
    destroy.push(
      chart(charts, {
        ...common,
        title: 'Phase voltages',
        unit: 'V',
        xs: voltages.xs,
        lines: PHASES.map((p, i) => ({
          label: p.toUpperCase(),
          color: PHASE_COLORS[i] ?? '#333',
          values: voltages.columns[i] ?? [],
        })),
        references: [
          { value: STATUTORY_VOLTAGE.maxV, label: `statutory max ${STATUTORY_VOLTAGE.maxV} V`, color: '#d83933' },
          { value: STATUTORY_VOLTAGE.minV, label: `statutory min ${STATUTORY_VOLTAGE.minV} V`, color: '#d83933' },
        ],
      }),
      chart(charts, {
        ...common,
        title: 'Phase currents',
        unit: 'A',
        xs: currents.xs,
        lines: PHASES.map((p, i) => ({
          label: p.toUpperCase(),
          color: PHASE_COLORS[i] ?? '#333',
          values: currents.columns[i] ?? [],
        })),
        references: asset.rating ? [{ value: asset.rating, label: `rated ${asset.rating} A`, color: '#d83933' }] : [],
      }),
    );
  } else {
    const load = align(series.slice(0, 1));
    const rating = asset.rating;
    destroy.push(
      chart(charts, {
        ...common,
        title: 'Load against rating (apparent power)',
        unit: rating ? '%' : 'kVA',
        xs: load.xs,
        lines: [
          {
            label: 'load',
            color: '#2b6cb0',
            values: rating ? loadPct(load.columns, rating) : (load.columns[0] ?? []),
          },
        ],
        references: rating
          ? [{ value: 100, label: `rating ${rating} ${asset.rating_unit ?? 'kVA'}`, color: '#d83933' }]
          : [],
      }),
    );
  }
  const store = storeText(data.store);
  charts.append(
    h(
      'p',
      { class: 'muted small' },
      `from ${store}${data.downsampled ? `, downsampled to at most ${data.max_points} points a series (each bucket's min and max kept)` : ''}`,
    ),
  );
  show(alertList, h('h2', {}, `Alerts in this range (${alerts.alerts.length})`), alertTable(alerts.alerts));
  markRendered('asset-charts');
  return () => destroy.forEach((d) => d());
}

function header(a: AssetSummary): HTMLElement {
  return h(
    'div',
    { class: 'asset-head' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / ', a.substation_id),
    h(
      'h1',
      {},
      h('i', { class: 'dot big', style: `background:${STATUS_COLOR[a.status]}` }),
      ` ${a.asset_id}`,
      a.substation_name ? h('span', { class: 'muted' }, ` ${a.substation_name}`) : null,
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'status'),
      h('dd', {}, a.status),
      h('dt', {}, 'load'),
      h('dd', {}, fmt.pct(a.load_pct)),
      h('dt', {}, 'rating'),
      h('dd', {}, a.rating === null ? '–' : `${a.rating} ${a.rating_unit ?? ''}`),
      h('dt', {}, 'open incidents'),
      h('dd', {}, a.open_incidents),
      h('dt', {}, 'newest reading'),
      h('dd', {}, fmt.time(a.newest_reading)),
    ),
  );
}

function rangeBar(a: AssetSummary, current: string, from: string, to: string): HTMLElement {
  const base = assetHref(a.asset_id);
  const fromInput = h('input', { type: 'date', value: from.slice(0, 10), 'aria-label': 'from' });
  const toInput = h('input', { type: 'date', value: to.slice(0, 10), 'aria-label': 'to' });
  const form = h(
    'form',
    { class: 'toolbar range' },
    (Object.keys(RANGE_DAYS) as RangeName[]).map((r) =>
      h('a', { href: `${base}?range=${r}`, class: `pill${current === r ? ' on' : ''}` }, r),
    ),
    h('span', { class: 'muted' }, 'custom'),
    fromInput,
    toInput,
    h('button', { type: 'submit', class: current === 'custom' ? 'on' : '' }, 'Show'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `${base}?range=custom&from=${fromInput.value}&to=${toInput.value}`;
  });
  return form;
}

export function alertTable(alerts: Alert[]): HTMLElement {
  if (!alerts.length) return h('p', { class: 'muted' }, 'None.');
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Opened (UTC)', 'Severity', 'Rule', 'Measurement', 'Status', 'Detail'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        alerts.map((x) =>
          h(
            'tr',
            {},
            h('td', {}, fmt.time(alertTime(x))),
            h('td', {}, h('i', { class: 'dot', style: `background:${severityColor(x.severity)}` }), ' ', x.severity),
            h('td', {}, x.rule),
            h('td', {}, x.measurement),
            h('td', {}, alertState(x)),
            h('td', { class: 'detail' }, x.detail),
          ),
        ),
      ),
    ),
  );
}

/** `readings_hourly+table` → "the hourly rollups and the time-series table". */
function storeText(store: string): string {
  const names: Record<string, string> = {
    table: 'the time-series table',
    lake: 'the lake',
    readings_hourly: 'the hourly rollups',
    readings_daily: 'the daily rollups',
  };
  const parts = store.split('+').map((s) => names[s] ?? s);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : (parts[0] ?? store);
}
