/**
 * The fact layer's schedule in the embedded stack: `buildRollups` every
 * `SCHEDULES.rollups.minutes`, as the scheduled function does on AWS. It only rebuilds
 * the day partitions whose readings changed, so a quiet lake costs a listing and a few
 * HEADs. `dubegrid rollups` runs the same build on demand.
 */
import { buildRollups, type RollupOutcome } from '../../lake/rollups/build.ts';
import { registryIntervals } from '../../lake/rollups/registry.ts';
import { SCHEDULES } from '../../shared/functions.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';

export const ROLLUPS_SERVICE = 'rollups';

export const rollupsService: ServiceFactory = (ctx: ServiceContext): Service => {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let last: (RollupOutcome & { at: string }) | undefined;
  const run = (): Promise<void> =>
    (running ??= buildRollups({
      s3: ctx.clients.s3,
      bucket: ctx.clients.names.bucket,
      threads: 1,
      registryIntervals: registryIntervals(ctx.clients.doc, ctx.clients.names.tables.assets),
    })
      .then((o) => {
        last = { ...o, at: new Date().toISOString() };
      })
      .catch((err: Error) => ctx.log.warn(`rollups: build failed: ${err.message}`))
      .finally(() => (running = undefined)));
  return {
    name: ROLLUPS_SERVICE,
    async start() {
      timer = setInterval(() => void run(), SCHEDULES.rollups.minutes * 60_000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
    async status() {
      return last ? { last_build: { at: last.at, days: last.days, rebuilt: last.rebuilt.length } } : {};
    },
  };
};
