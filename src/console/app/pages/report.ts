/**
 * Report: the monthly asset performance summary (`GET /api/report?month=`, the same
 * named queries as `dubegrid report`), sortable by any column, downloadable as CSV.
 */
import { toCsv, type Cell } from '../csv.ts';
import { fmt, h, show } from '../dom.ts';
import type { PageContext } from '../main.ts';
import { assetHref } from '../status.ts';
import type { QueryRun, Report } from '../types.ts';

export async function reportPage(ctx: PageContext): Promise<void> {
  const requested = ctx.query.get('month') ?? undefined;
  show(ctx.main, h('h1', {}, 'Asset performance'), h('p', { class: 'muted' }, 'Running the report query…'));
  const report = await ctx.api.get<Report>('/api/report', { month: requested });
  const done = await finished(ctx, report);
  if (done.state === 'failed') throw new Error(`the report query failed: ${done.error ?? 'no reason given'}`);
  const columns = (done.columns ?? []).map((c) => c.name);
  const rows = (done.rows ?? []).map(
    (r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])) as Record<string, Cell>,
  );
  let sort = { key: columns[0] ?? '', desc: false };
  const month = h('input', { type: 'month', value: report.month, 'aria-label': 'month' });
  const form = h('form', { class: 'toolbar' }, month, h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/report?month=${month.value}`;
  });
  const download = h('button', { type: 'button', class: 'download' }, 'Download CSV');
  download.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([toCsv(columns, sorted())], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `dubegrid-report-${report.month}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  const table = h('table', { class: 'report' });
  const sorted = (): Record<string, Cell>[] =>
    [...rows].sort((a, b) => {
      const x = a[sort.key];
      const y = b[sort.key];
      const c = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
      return sort.desc ? -c : c;
    });
  const render = (): void => {
    show(
      table,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) =>
            h(
              'th',
              {
                class: 'sortable',
                'aria-sort': sort.key === c ? (sort.desc ? 'descending' : 'ascending') : null,
                onclick: () => ((sort = { key: c, desc: sort.key === c ? !sort.desc : true }), render()),
              },
              c.replace(/_/g, ' '),
              sort.key === c ? (sort.desc ? ' ▾' : ' ▴') : '',
            ),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        sorted().map((r) =>
          h(
            'tr',
            {},
            columns.map((c) => cell(c, r[c])),
          ),
        ),
      ),
    );
  };
  show(
    ctx.main,
    h('h1', {}, `Asset performance, ${report.month}`),
    h('div', { class: 'toolbar' }, form, download),
    rows.length
      ? h('div', { class: 'scroll' }, table)
      : h('p', { class: 'muted' }, 'No readings in the lake for this month.'),
  );
  render();
}

function cell(column: string, v: Cell): HTMLTableCellElement {
  if (column === 'asset_id' && typeof v === 'string') return h('td', {}, h('a', { href: assetHref(v) }, v));
  if (typeof v === 'number') return h('td', { class: 'num' }, fmt.num(v, 2));
  return h('td', {}, v === null || v === undefined ? '–' : String(v));
}

/** An Athena query may outlive the API's wait: then the answer is a run id to poll until it has finished. */
async function finished(ctx: PageContext, run: QueryRun): Promise<QueryRun> {
  let current = run;
  for (let wait = 500; current.state === 'running'; wait = Math.min(wait * 2, 4_000)) {
    await new Promise((resolve) => window.setTimeout(resolve, wait));
    current = await ctx.api.get<QueryRun>(`/api/queries/runs/${encodeURIComponent(current.id)}`);
  }
  return current;
}
