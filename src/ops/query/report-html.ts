/**
 * The report as one self-contained HTML page: the summary table, and per top asset two
 * inline SVG charts (no scripts, no fonts, nothing fetched): its load against its
 * rating, and its phase voltage range against the statutory band.
 */
import { STATUTORY_VOLTAGE } from '../../shared/network.ts';
import { REPORT_COLUMNS, type ChartSeries, type Report, type Row } from './report.ts';
import type { Cell } from './result.ts';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const cell = (v: Cell | undefined): string => (v === null || v === undefined ? '' : esc(String(v)));

export function renderReportHtml(report: Report): string {
  const head = `<h1>DubeGrid asset performance, ${esc(report.month)}</h1>
<p class="meta">${report.assets.length} assets · ${report.target === 'aws' ? 'Athena' : 'embedded lake (DuckDB)'} · generated ${esc(report.generated_at)} ·
statutory band ${STATUTORY_VOLTAGE.minV}–${STATUTORY_VOLTAGE.maxV} V · ordered by peak utilisation of rating</p>`;
  const table = `<table><thead><tr>${REPORT_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>
${report.assets.map((r) => `<tr>${REPORT_COLUMNS.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`;
  const charts = report.charts
    .map((c) =>
      assetSection(
        c,
        report.month,
        report.assets.find((a) => a.asset_id === c.asset_id),
      ),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DubeGrid report ${esc(report.month)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.meta{color:#666}section{margin:2rem 0}svg{background:#fff;border:1px solid #ddd;margin-right:1rem}
.charts{display:flex;flex-wrap:wrap}
</style></head><body>
${head}
<h2>Top ${report.charts.length} assets</h2>
${charts}
<h2>All assets</h2>
${table}
</body></html>
`;
}

function assetSection(c: ChartSeries, month: string, summary: Row | undefined): string {
  const t = (r: Row): number => Date.parse(String(r.hour));
  const [start, end] = spanOf(c.hours.map(t), month);
  const load = c.hours.filter((r) => typeof r.max_load === 'number').map((r) => [t(r), r.max_load as number] as const);
  const vMin = c.hours.filter((r) => typeof r.v_min === 'number').map((r) => [t(r), r.v_min as number] as const);
  const vMax = c.hours.filter((r) => typeof r.v_max === 'number').map((r) => [t(r), r.v_max as number] as const);
  const unit = c.rating_unit || '';
  const loadChart = lineChart({
    title: `Load (hourly max, ${unit || 'n/a'}) against rating${c.rating === null ? ' (no rating in the registry)' : ` ${c.rating} ${unit}`}`,
    start,
    end,
    series: [{ points: load, color: '#1f77b4' }],
    lines: c.rating === null ? [] : [{ y: c.rating, color: '#d62728', label: `rating ${c.rating} ${unit}` }],
  });
  const voltChart = lineChart({
    title: 'Phase voltage range (hourly min and max, V) against the statutory band',
    start,
    end,
    series: [
      { points: vMin, color: '#2ca02c' },
      { points: vMax, color: '#ff7f0e' },
    ],
    band: { from: STATUTORY_VOLTAGE.minV, to: STATUTORY_VOLTAGE.maxV, color: '#e8f4e8' },
    lines: [
      { y: STATUTORY_VOLTAGE.minV, color: '#888', label: `${STATUTORY_VOLTAGE.minV} V` },
      { y: STATUTORY_VOLTAGE.maxV, color: '#888', label: `${STATUTORY_VOLTAGE.maxV} V` },
    ],
  });
  const facts = summary
    ? `peak ${cell(summary.peak_demand_kw)} kW · load factor ${cell(summary.load_factor)} · peak utilisation ${cell(summary.peak_utilisation_pct)} % · ` +
      `${cell(summary.minutes_outside_voltage_band)} min outside band · ${cell(summary.alerts)} alerts`
    : '';
  return `<section><h3>${esc(c.asset_id)}</h3><p class="meta">${facts}</p><div class="charts">${loadChart}${voltChart}</div></section>`;
}

interface ChartSpec {
  readonly title: string;
  readonly start: number;
  readonly end: number;
  readonly series: readonly { readonly points: readonly (readonly [number, number])[]; readonly color: string }[];
  readonly lines?: readonly { readonly y: number; readonly color: string; readonly label: string }[];
  readonly band?: { readonly from: number; readonly to: number; readonly color: string };
}

const W = 560;
const H = 220;
const PAD = { left: 48, right: 12, top: 24, bottom: 28 };

/** An SVG line chart over one month; y range fits the data, lines and band. */
export function lineChart(spec: ChartSpec): string {
  const ys = [
    ...spec.series.flatMap((s) => s.points.map((p) => p[1])),
    ...(spec.lines ?? []).map((l) => l.y),
    ...(spec.band ? [spec.band.from, spec.band.to] : []),
  ];
  let lo = ys.length ? Math.min(...ys) : 0;
  let hi = ys.length ? Math.max(...ys) : 1;
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const margin = (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const x = (t: number): number => PAD.left + ((t - spec.start) / (spec.end - spec.start)) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - ((v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [`<text x="${PAD.left}" y="14" font-size="12">${esc(spec.title)}</text>`];
  if (spec.band) {
    parts.push(
      `<rect x="${PAD.left}" y="${y(spec.band.to).toFixed(1)}" width="${W - PAD.left - PAD.right}" height="${(y(spec.band.from) - y(spec.band.to)).toFixed(1)}" fill="${spec.band.color}"/>`,
    );
  }
  for (const v of ticks(lo, hi)) {
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
    );
    parts.push(
      `<text x="${PAD.left - 4}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${round(v)}</text>`,
    );
  }
  const every = (spec.end - spec.start) / 86_400_000 <= 10 ? 1 : 5;
  for (let day = 0; spec.start + day * 86_400_000 < spec.end; day += every) {
    const t = spec.start + day * 86_400_000;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${H - 10}" font-size="10" text-anchor="middle">${new Date(t).getUTCDate()}</text>`,
    );
  }
  for (const l of spec.lines ?? []) {
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(l.y).toFixed(1)}" y2="${y(l.y).toFixed(1)}" stroke="${l.color}" stroke-dasharray="5,3"/>`,
    );
    parts.push(
      `<text x="${W - PAD.right - 2}" y="${(y(l.y) - 3).toFixed(1)}" font-size="10" text-anchor="end" fill="${l.color}">${esc(l.label)}</text>`,
    );
  }
  for (const s of spec.series) {
    if (!s.points.length) continue;
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1"/>`);
  }
  parts.push(
    `<rect x="${PAD.left}" y="${PAD.top}" width="${W - PAD.left - PAD.right}" height="${H - PAD.top - PAD.bottom}" fill="none" stroke="#999"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}">${parts.join('')}</svg>`;
}

/** The whole days the data covers (the month when there is none): a week of data is not squeezed into a month's width. */
function spanOf(times: readonly number[], month: string): [number, number] {
  const DAY = 86_400_000;
  if (!times.length) {
    const [yy, mm] = month.split('-').map(Number) as [number, number];
    return [Date.UTC(yy, mm - 1, 1), Date.UTC(yy, mm, 1)];
  }
  return [Math.floor(Math.min(...times) / DAY) * DAY, (Math.floor(Math.max(...times) / DAY) + 1) * DAY];
}

function ticks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

const round = (v: number): string => String(Math.round(v * 100) / 100);
