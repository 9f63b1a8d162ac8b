/**
 * Network overview: every asset with its status colour and its load against its rating;
 * sort by any column, filter by status, search by id or name; open incident counts; a
 * row opens the asset. The list is fetched again when a live alert arrives, so counts
 * and statuses follow the network without a reload.
 */
import { h, fmt, markRendered, show } from '../dom.ts';
import type { PageContext } from '../main.ts';
import { assetHref, STATUS_COLOR, STATUS_ORDER } from '../status.ts';
import type { AssetStatus, AssetSummary, AssetList } from '../types.ts';

type Key = 'status' | 'asset_id' | 'load_pct' | 'rating' | 'open_incidents' | 'newest_reading';

const COLUMNS: { key: Key; label: string; numeric?: boolean }[] = [
  { key: 'status', label: 'Status' },
  { key: 'asset_id', label: 'Asset' },
  { key: 'load_pct', label: 'Load / rating', numeric: true },
  { key: 'rating', label: 'Rating', numeric: true },
  { key: 'open_incidents', label: 'Open incidents', numeric: true },
  { key: 'newest_reading', label: 'Newest reading (UTC)' },
];

export async function overviewPage(ctx: PageContext): Promise<() => void> {
  let assets = (await ctx.api.get<AssetList>('/api/assets')).assets;
  let sort: { key: Key; desc: boolean } = { key: 'status', desc: false };
  const search = h('input', { type: 'search', placeholder: 'Search asset, substation…', 'aria-label': 'search' });
  const status = h(
    'select',
    { 'aria-label': 'status filter' },
    h('option', { value: '' }, 'every status'),
    STATUS_ORDER.map((s) => h('option', { value: s }, s)),
  );
  search.value = ctx.query.get('q') ?? '';
  status.value = ctx.query.get('status') ?? '';
  const summary = h('div', { class: 'summary' });
  const body = h('tbody');
  const head = h('tr');
  const table = h('table', { class: 'assets' }, h('thead', {}, head), body);

  const render = (): void => {
    const counts = new Map<AssetStatus, number>();
    for (const a of assets) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    show(
      summary,
      h('span', { class: 'count' }, `${assets.length} assets`),
      ...STATUS_ORDER.map((s) =>
        h(
          'button',
          {
            type: 'button',
            class: `pill${status.value === s ? ' on' : ''}`,
            onclick: () => ((status.value = status.value === s ? '' : s), render()),
          },
          h('i', { class: 'dot', style: `background:${STATUS_COLOR[s]}` }),
          `${counts.get(s) ?? 0} ${s}`,
        ),
      ),
    );
    show(
      head,
      ...COLUMNS.map((c) =>
        h(
          'th',
          {
            class: c.numeric ? 'num sortable' : 'sortable',
            'aria-sort': sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : null,
            onclick: () => {
              sort = { key: c.key, desc: sort.key === c.key ? !sort.desc : Boolean(c.numeric) };
              render();
            },
          },
          c.label,
          sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : '',
        ),
      ),
    );
    const q = search.value.trim().toLowerCase();
    const rows = assets
      .filter((a) => !status.value || a.status === status.value)
      .filter(
        (a) => !q || [a.asset_id, a.substation_id, a.substation_name ?? ''].some((s) => s.toLowerCase().includes(q)),
      )
      .sort(compare(sort.key, sort.desc));
    show(
      body,
      ...(rows.length
        ? rows.map(row)
        : [h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted' }, 'No asset matches.'))]),
    );
  };
  search.addEventListener('input', render);
  status.addEventListener('change', render);

  show(
    ctx.main,
    h('h1', {}, 'Network overview'),
    h('div', { class: 'toolbar' }, search, status),
    summary,
    h('div', { class: 'scroll' }, table),
  );
  render();
  markRendered('overview');
  let timer: number | undefined;
  const unlisten = ctx.feed.listen(() => {
    // alerts arrive in bursts: fetch once per burst
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      ctx.api.get<AssetList>('/api/assets').then(
        (r) => ((assets = r.assets), render()),
        () => undefined,
      );
    }, 1_000);
  });
  return () => {
    unlisten();
    window.clearTimeout(timer);
  };
}

function row(a: AssetSummary): HTMLTableRowElement {
  const pct = a.load_pct;
  const width = pct === null ? 0 : Math.min(100, Math.max(0, pct));
  const level = pct === null ? '' : pct >= 100 ? 'over' : pct >= 85 ? 'high' : '';
  const open = (): void => void (location.hash = assetHref(a.asset_id));
  return h(
    'tr',
    {
      class: 'link',
      'data-asset': a.asset_id,
      tabindex: 0,
      onclick: open,
      onkeydown: (e: Event) => (e as KeyboardEvent).key === 'Enter' && open(),
    },
    h('td', {}, h('i', { class: 'dot', style: `background:${STATUS_COLOR[a.status]}` }), ' ', a.status),
    h(
      'td',
      {},
      h('a', { href: assetHref(a.asset_id) }, a.asset_id),
      a.substation_name ? h('div', { class: 'muted small' }, a.substation_name) : null,
    ),
    h(
      'td',
      { class: 'num' },
      h('div', { class: `bar ${level}`, title: fmt.pct(pct) }, h('span', { style: `width:${width}%` })),
      fmt.pct(pct),
    ),
    h('td', { class: 'num' }, a.rating === null ? '–' : `${fmt.num(a.rating, 0)} ${a.rating_unit ?? ''}`),
    h('td', { class: 'num' }, a.open_incidents ? h('strong', { class: 'incidents' }, a.open_incidents) : '0'),
    h('td', {}, fmt.time(a.newest_reading)),
  );
}

function compare(key: Key, desc: boolean): (a: AssetSummary, b: AssetSummary) => number {
  const rank = (s: AssetStatus): number => STATUS_ORDER.indexOf(s);
  const value = (a: AssetSummary): number | string => {
    if (key === 'status') return rank(a.status);
    const v = a[key];
    return v === null || v === undefined ? (desc ? -Infinity : Infinity) : v;
  };
  return (a, b) => {
    const x = value(a);
    const y = value(b);
    const c = x < y ? -1 : x > y ? 1 : a.asset_id.localeCompare(b.asset_id);
    return desc ? -c : c;
  };
}
