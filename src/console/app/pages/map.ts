/**
 * Map: the substations placed by their registry latitude/longitude, drawn as SVG with no
 * tiles (so it works offline and sends no one our asset locations). An equirectangular
 * projection scaled by cos(latitude) is exact enough over a distribution network's few
 * tens of kilometres. Each substation takes the worst status of its assets.
 */
import { h, show } from '../dom.ts';
import type { PageContext } from '../main.ts';
import { assetHref, STATUS_COLOR, STATUS_ORDER } from '../status.ts';
import type { AssetStatus, AssetSummary, AssetList } from '../types.ts';

const SVG = 'http://www.w3.org/2000/svg';

interface Site {
  id: string;
  name: string;
  lat: number;
  lon: number;
  status: AssetStatus;
  assets: AssetSummary[];
  incidents: number;
}

export async function mapPage(ctx: PageContext): Promise<void> {
  const { assets } = await ctx.api.get<AssetList>('/api/assets');
  const sites = sitesOf(assets);
  const unplaced = new Set(assets.map((a) => a.substation_id));
  for (const s of sites) unplaced.delete(s.id);
  const legend = h(
    'div',
    { class: 'summary' },
    STATUS_ORDER.map((s) =>
      h('span', { class: 'pill' }, h('i', { class: 'dot', style: `background:${STATUS_COLOR[s]}` }), s),
    ),
  );
  show(
    ctx.main,
    h('h1', {}, 'Map'),
    legend,
    sites.length
      ? h('div', { class: 'card map' }, draw(sites))
      : h('p', { class: 'muted' }, 'No substation has coordinates in the registry.'),
    unplaced.size
      ? h(
          'p',
          { class: 'muted small' },
          `${unplaced.size} substation(s) without coordinates in the registry: ${[...unplaced].sort().join(', ')}`,
        )
      : null,
  );
}

function sitesOf(assets: AssetSummary[]): Site[] {
  const bySub = new Map<string, Site>();
  for (const a of assets) {
    const lat = a.latitude;
    const lon = a.longitude;
    if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) continue;
    let site = bySub.get(a.substation_id);
    if (!site) {
      site = { id: a.substation_id, name: a.substation_name ?? '', lat, lon, status: 'ok', assets: [], incidents: 0 };
      bySub.set(a.substation_id, site);
    }
    site.assets.push(a);
    site.incidents += a.open_incidents;
    if (STATUS_ORDER.indexOf(a.status) < STATUS_ORDER.indexOf(site.status)) site.status = a.status;
  }
  return [...bySub.values()].sort((a, b) => a.id.localeCompare(b.id));
}

function draw(sites: Site[]): SVGSVGElement {
  const lats = sites.map((s) => s.lat);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const k = Math.cos((midLat * Math.PI) / 180);
  const xs = sites.map((s) => s.lon * k);
  const ys = sites.map((s) => -s.lat);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // the frame: the sites plus a margin, at least ~2 km across so one site (or several on one spot) looks sensible
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  const dx = Math.max(x1 - x0, 0.02) * 1.4;
  const dy = Math.max(y1 - y0, 0.02) * 1.4;
  const W = 1000;
  const MAX_H = 560;
  // one scale for both axes, so distances look as they are
  const scale = Math.min(W / dx, MAX_H / dy);
  const height = Math.max(320, Math.round(dy * scale));
  const sx = (x: number): number => W / 2 + (x - cx) * scale;
  const sy = (y: number): number => height / 2 + (y - cy) * scale;
  const svg = el('svg', {
    viewBox: `0 0 ${W} ${height}`,
    role: 'img',
    'aria-label': `map of ${sites.length} substations`,
  }) as SVGSVGElement;
  svg.append(el('rect', { x: 0, y: 0, width: W, height, class: 'sea' }));
  // a graticule of about eight lines across, and a scale bar, both in round numbers
  const step = roundUp(dx / 8, [1, 2, 5]);
  for (let i = Math.floor((cx - W / 2 / scale) / k / step); i * step * k <= cx + W / 2 / scale; i++) {
    const x = sx(i * step * k);
    svg.append(el('line', { x1: x, x2: x, y1: 0, y2: height, class: 'grid' }));
  }
  for (let i = Math.floor((cy - height / 2 / scale) / step); i * step <= cy + height / 2 / scale; i++) {
    const y = sy(i * step);
    svg.append(el('line', { x1: 0, x2: W, y1: y, y2: y, class: 'grid' }));
  }
  const pxPerKm = scale / 111.32; // a degree of latitude is 111.32 km
  const km = roundUp(W / 8 / pxPerKm, [1, 2, 5]);
  const bar = el('g', { class: 'scale' });
  bar.append(el('rect', { x: 8, y: height - 44, width: km * pxPerKm + 24, height: 36, rx: 4 }));
  bar.append(el('line', { x1: 20, x2: 20 + km * pxPerKm, y1: height - 16, y2: height - 16 }));
  const barLabel = el('text', { x: 20, y: height - 22 });
  barLabel.textContent = `${km} km`;
  bar.append(barLabel);
  svg.append(bar);
  sites.forEach((s, i) => {
    const x = sx(xs[i] ?? 0);
    const y = sy(ys[i] ?? 0);
    const target = s.assets.find((a) => a.asset_id === s.id) ?? s.assets[0];
    const link = el('a', { href: target ? assetHref(target.asset_id) : '#/', 'data-site': s.id });
    const title = el('title', {});
    title.textContent = `${s.id} ${s.name} — ${s.status}, ${s.assets.length} asset(s), ${s.incidents} open incident(s)`;
    link.append(
      title,
      el('circle', { cx: x, cy: y, r: 9 + Math.min(6, s.incidents), fill: STATUS_COLOR[s.status], class: 'site' }),
    );
    // labels on the right half point left, so none runs off the edge
    const right = x > W * 0.6;
    const label = el('text', {
      x: right ? x - 14 : x + 14,
      y: y + 5,
      class: 'label',
      'text-anchor': right ? 'end' : 'start',
    });
    label.textContent = s.name ? `${s.id} ${s.name}` : s.id;
    link.append(label);
    svg.append(link);
  });
  return svg;
}

/** The smallest of 1, 2, 5 × a power of ten (`steps`) that is at least `x`. */
function roundUp(x: number, steps: number[]): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of steps) if (m * p >= x) return m * p;
  return 10 * p;
}

function el(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}
