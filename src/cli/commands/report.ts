import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { dataPaths } from '../../local/data-dir.ts';
import { csvCell } from '../../ops/query/format.ts';
import { monthParams } from '../../ops/query/named.ts';
import { openSqlEngine } from '../../ops/query/open.ts';
import { renderReportHtml } from '../../ops/query/report-html.ts';
import { factsCurrentIn } from '../../ops/query/named.ts';
import { buildReport, REPORT_COLUMNS, ReportError, TERMINAL_COLUMNS, type Report } from '../../ops/query/report.ts';
import type { Clients } from '../../shared/clients.ts';
import type { Action } from '../command.ts';
import { usage } from './query.ts';
import { withContext } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';

interface ReportFlags {
  readonly month?: string;
  readonly out?: string;
  readonly top: string;
  readonly flush?: boolean;
}

export const runReport: Action<ReportFlags> = async (_args, opts) => {
  const top = Number(opts.top);
  if (!Number.isInteger(top) || top < 0) throw new UsageError(`--top must be a whole number, got ${opts.top}`);
  if (opts.month !== undefined) usage(() => monthParams(opts.month as string));
  const format = opts.out === undefined ? undefined : extname(opts.out).toLowerCase();
  if (format !== undefined && format !== '.html' && format !== '.csv')
    throw new UsageError(`--out must name a .html or .csv file, got ${opts.out}`);
  return withContext(opts, 'stack', async (ctx) => {
    if (opts.flush) await ctx.flush();
    const { engine } = await openSqlEngine(ctx.clients, dataPaths(ctx.dataDir).cache);
    try {
      const report = await buildReport(engine, ctx.clients, {
        month: opts.month,
        top,
        factsCurrent: factsCurrentIn({ s3: ctx.clients.s3, bucket: ctx.clients.names.bucket }),
      });
      if (opts.out) {
        await writeFile(opts.out, format === '.html' ? renderReportHtml(report) : reportCsv(report));
        progress(`wrote ${opts.out}`);
      }
      return {
        json: { ...report, ...(opts.out ? { out: opts.out } : {}) },
        human: renderTerminal(report, top, opts.out),
      };
    } finally {
      await engine.close();
    }
  });
};

/**
 * The top of the report for `npm start` (the sample's month): the stack's lake flushed
 * first, so the sample just ingested is in it. Empty text when the lake holds nothing.
 */
export async function topOfReport(clients: Clients, dataDir: string, top = 5): Promise<string> {
  const { engine } = await openSqlEngine(clients, dataPaths(dataDir).cache);
  try {
    const factsCurrent = factsCurrentIn({ s3: clients.s3, bucket: clients.names.bucket });
    return renderTerminal(await buildReport(engine, clients, { top: 0, factsCurrent }), top);
  } catch (err) {
    if (err instanceof ReportError) return '';
    throw err;
  } finally {
    await engine.close();
  }
}

export function reportCsv(report: Report): string {
  const lines = [
    REPORT_COLUMNS.join(','),
    ...report.assets.map((r) => REPORT_COLUMNS.map((c) => csvCell(r[c] ?? null)).join(',')),
  ];
  return `${lines.join('\n')}\n`;
}

/** The top of the report as a person reads it in a terminal. */
export function renderTerminal(report: Report, top: number, out?: string): string {
  const rows = report.assets
    .slice(0, top)
    .map((r) =>
      TERMINAL_COLUMNS.map(([, key]) =>
        key === 'rating' ? (r.rating === null ? '' : `${r.rating} ${r.rating_unit}`) : r[key],
      ),
    );
  const more = report.assets.length - rows.length;
  return [
    `Asset performance ${report.month}: ${report.assets.length} assets, highest peak utilisation first`,
    '',
    table(
      TERMINAL_COLUMNS.map(([h]) => h),
      rows,
    ),
    ...(more > 0
      ? ['', `… ${more} more assets${out ? ` in ${out}` : ' (all of them with --out FILE.csv or FILE.html)'}`]
      : []),
  ].join('\n');
}
