import type { ReadingItem } from '../../consumers/state/items.ts';
import { latestState, series, timeBound, TimeBoundError } from '../../consumers/state/queries.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { table, UsageError } from '../output.ts';

interface SeriesFlags {
  measurement?: string;
  from?: string;
  to?: string;
  limit: string;
}

export const runState: Action<object> = async ([assetId], opts) =>
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
  });

export const runSeries: Action<SeriesFlags> = async ([assetId], opts) => {
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
};

function publicReading(item: ReadingItem): Omit<ReadingItem, 'sk'> {
  const { sk: _sk, ...rest } = item;
  return rest;
}
