import type { Command } from 'commander';
import type { ReadingItem } from '../../consumers/state/items.ts';
import { latestState, series, timeBound, TimeBoundError } from '../../consumers/state/queries.ts';
import { action } from '../command.ts';
import { withContext } from '../context.ts';
import { table, UsageError } from '../output.ts';

interface SeriesFlags {
  measurement?: string;
  from?: string;
  to?: string;
  limit: string;
}

/** Readings printed by `series` unless --limit says otherwise: a month of one asset at 10 minutes. */
const DEFAULT_SERIES_LIMIT = 10_000;

export function registerState(program: Command): void {
  program
    .command('state')
    .description("show an asset's latest state: every measurement's newest value and time (the `latest` table)")
    .argument('<asset_id>', 'the asset: <substation> or <substation>:<feeder>, e.g. LV123:05')
    .action(
      action(async ([assetId], opts) =>
        withContext(opts, 'stack', async (ctx) => {
          const items = await latestState(ctx.clients.doc, assetId as string);
          const json = { asset_id: assetId, measurements: items };
          if (items.length === 0)
            return { json, human: `no readings for asset ${assetId} (is it spelt as in the data, e.g. LV123:05?)` };
          const rows = items.map((i) => [i.measurement, i.value, i.unit, i.phase ?? '', i.ts, i.source_key]);
          return {
            json,
            human: `${assetId}\n${table(['measurement', 'value', 'unit', 'phase', 'time (UTC)', 'source'], rows)}`,
          };
        }),
      ),
    );

  program
    .command('series')
    .description("list an asset's readings in time order (a Query on the `readings` table's key range)")
    .argument('<asset_id>', 'the asset: <substation> or <substation>:<feeder>')
    .option('--measurement <m>', 'only this measurement, e.g. l1_voltage')
    .option('--from <time>', 'first time, inclusive: a date (2025-08-14), a prefix (2025-08-14T15) or a time with zone')
    .option(
      '--to <time>',
      'last time, inclusive: everything that begins with it counts (--to 2025-08-14 ends with that day)',
    )
    .option('--limit <n>', 'print at most this many readings', String(DEFAULT_SERIES_LIMIT))
    .addHelpText(
      'after',
      '\nA date given as both --from and --to is that day: the Query is begins_with(sk, "2025-08-14").',
    )
    .action(
      action<SeriesFlags>(async ([assetId], opts) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit <= 0)
          throw new UsageError(`--limit must be a positive whole number, got ${opts.limit}`);
        let from: string | undefined;
        let to: string | undefined;
        try {
          from = opts.from === undefined ? undefined : timeBound(opts.from, '--from');
          to = opts.to === undefined ? undefined : timeBound(opts.to, '--to');
        } catch (err) {
          if (err instanceof TimeBoundError) throw new UsageError(err.message);
          throw err;
        }
        if (from !== undefined && to !== undefined && from > to && !to.startsWith(from))
          throw new UsageError(`--from ${from} is after --to ${to}`);
        return withContext(opts, 'stack', async (ctx) => {
          const q = {
            ...(opts.measurement ? { measurement: opts.measurement } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            limit,
          };
          const { items, truncated } = await series(ctx.clients.doc, assetId as string, q);
          const readings = items.map(publicReading);
          const json = { asset_id: assetId, ...q, count: readings.length, truncated, readings };
          if (readings.length === 0) return { json, human: `no readings for ${assetId} in that range` };
          const rows = readings.map((r) => [r.ts, r.measurement, r.value, r.unit, r.phase ?? '']);
          const more = truncated ? `\n(first ${limit} shown; narrow the range or raise --limit)` : '';
          return {
            json,
            human: `${table(['time (UTC)', 'measurement', 'value', 'unit', 'phase'], rows)}\n${readings.length} reading(s)${more}`,
          };
        });
      }),
    );
}

function publicReading(item: ReadingItem): Omit<ReadingItem, 'sk'> {
  const { sk: _sk, ...rest } = item;
  return rest;
}
