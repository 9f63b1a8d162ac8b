/**
 * The fact layer's Lambda handler, invoked by EventBridge every `SCHEDULES.rollups`
 * (and by hand with `{"force": true}` to rebuild every day): `buildRollups`, the same
 * build as `dubegrid rollups` and the embedded stack's timer. Only day partitions whose
 * readings objects changed (a delivery, a late reading, a compaction) are rebuilt, so
 * an hour with nothing new costs a listing and a HEAD per fact table (four) per day.
 * Any error fails the invocation, so the function's error alarm sees a failed run; the next run redoes
 * whatever it left, since each rollup object carries what it was built from.
 *
 * A backlog larger than one invocation (the first run over a lake backfilled for months)
 * is split across runs: the changed days are fetched while half the time and a GiB of
 * `/tmp` remain, and rebuilt while a minute does; what is left waits for the next run.
 * (`force` rebuilds only what one run can: a whole large lake is rebuilt from the CLI.)
 */
import type { Context } from 'aws-lambda';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createClients } from '../../shared/clients.ts';
import { readSettings } from '../../shared/settings.ts';
import { lambdaTelemetry, METRIC } from '../../shared/telemetry.ts';
import { buildRollups, type RollupDeps, type RollupOutcome } from './build.ts';
import { registryIntervals } from './registry.ts';

const telemetry = lambdaTelemetry('rollups');
let deps: RollupDeps | undefined;
/** Time kept in hand when starting a day's rebuild: a day of a large network takes seconds. */
const RESERVE_MS = 60_000;
/** `/tmp` kept free when fetching another day: its rollups are written there too. */
const RESERVE_BYTES = 1024 ** 3;

const freeTmpBytes = (): number => {
  const fs = statfsSync(tmpdir());
  return fs.bavail * fs.bsize;
};

export interface RollupsEvent {
  /** Rebuild every day, changed or not (`dubegrid rollups --force`). */
  readonly force?: boolean;
}

export const handler = telemetry.instrument(
  async (event: RollupsEvent | undefined, context?: Context): Promise<RollupOutcome> => {
    if (!deps) {
      const clients = createClients({ target: 'aws' });
      // no workDir: a fresh temp dir under /tmp per run, removed even when the run fails
      deps = {
        s3: clients.s3,
        bucket: readSettings().bucket ?? clients.names.bucket,
        registryIntervals: registryIntervals(clients.doc, clients.names.tables.assets),
      };
    }
    const half = (context?.getRemainingTimeInMillis() ?? 0) / 2;
    const outcome = await buildRollups(deps, {
      force: event?.force === true,
      keepGoing: (phase) =>
        !context ||
        (phase === 'fetch'
          ? context.getRemainingTimeInMillis() > half && freeTmpBytes() > RESERVE_BYTES
          : context.getRemainingTimeInMillis() > RESERVE_MS),
    });
    telemetry.metrics.add(METRIC.rollupDaysRebuilt, outcome.rebuilt.length);
    telemetry.metrics.add(METRIC.rollupDaysRemoved, outcome.removed.length);
    telemetry.log.info(
      `rollups: ${outcome.days} day partition(s), rebuilt ${outcome.rebuilt.length}, removed ${outcome.removed.length}, ${outcome.left_for_next_run} left for the next run`,
    );
    return outcome;
  },
);
