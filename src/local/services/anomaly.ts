/**
 * The anomaly consumer in the embedded stack: its Lambda handler behind the local
 * event source mapping (`CONSUMERS.anomaly`), publishing to the local SNS topic, plus
 * the outbox sweeper and the stale_feed watchdog on the schedules the CDK gives them
 * (every minute, `SCHEDULES.watchdog`). `status` shows
 * the mapping's figures, this process's counts, the late readings kept in the
 * `windows` table, and the outbox.
 */
import { anomalyDepsFromEnv, createAnomalyHandler } from '../../consumers/anomaly/handler.ts';
import { sweepOutbox } from '../../consumers/anomaly/outbox.ts';
import type { BatchReport, BatchStats } from '../../consumers/anomaly/processor.ts';
import { PublishError, type AlertPublisher } from '../../consumers/anomaly/publisher.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import { FUNCTIONS, SCHEDULES } from '../../shared/functions.ts';
import { watchdogTick } from '../../consumers/anomaly/watchdog.ts';
import { EventSourceMapping } from '../esm/mapping.ts';
import type { HandlerDeps, LocalConsumer } from '../esm/service.ts';
import { poisonFromEnv } from '../faults/poison.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';
import { SNS_SERVICE_NAME, type SnsService } from '../sns/service.ts';

export const ANOMALY_SERVICE = CONSUMERS.anomaly.name;

/** The sweeper's schedule: the CDK runs the outbox function every minute. */
export const OUTBOX_SWEEP_INTERVAL_MS = 60_000;

/** Where no topic runs (a redrive from another process): notifications stay in the outbox for the stack's sweeper. */
const outboxOnly: AlertPublisher = {
  publish: () =>
    Promise.reject(
      new PublishError('no SNS topic in this process: the outbox sweeper of the running stack publishes it'),
    ),
};

/** The consumer as `dubegrid dlq redrive` finds it (`localConsumerNamed`). */
export const anomalyConsumer: LocalConsumer = {
  settings: CONSUMERS.anomaly,
  fn: FUNCTIONS.anomaly,
  createHandler: ({ clients, env, log }: HandlerDeps) =>
    createAnomalyHandler(
      anomalyDepsFromEnv(clients, env, { publisher: outboxOnly, log, fault: poisonFromEnv(env, log) }),
    ),
};

export interface AnomalyService extends Service {
  readonly mapping: EventSourceMapping;
  /** The registry changed: forget cached entries. */
  invalidateAssets(): void;
  /** Publishes what is still in the outbox now. */
  sweep(): Promise<void>;
}

type Totals = Omit<BatchStats, 'records'> & { batches: number; records: number };

function createAnomalyService(ctx: ServiceContext): AnomalyService {
  // The topic is another service: looked up once all are built.
  const topic = (): AlertPublisher => ctx.service<SnsService>(SNS_SERVICE_NAME)?.topic ?? outboxOnly;
  const publisher: AlertPublisher = { publish: (m) => topic().publish(m) };
  const totals: Totals = {
    batches: 0,
    records: 0,
    readings: 0,
    applied: 0,
    corrected: 0,
    duplicates: 0,
    late: 0,
    rejected: 0,
    windows_written: 0,
    notifications_stored: 0,
    notifications_published: 0,
    publish_failures: 0,
  };
  const onReport = (r: BatchReport): void => {
    totals.batches++;
    for (const [k, v] of Object.entries(r.stats)) (totals as unknown as Record<string, number>)[k] += v;
  };
  const deps = anomalyDepsFromEnv(ctx.clients, process.env, {
    publisher,
    log: ctx.log,
    onReport,
    fault: poisonFromEnv(process.env, ctx.log),
  });
  const { alerts, windows, archive, assets, feeds, config } = deps;
  const handler = createAnomalyHandler(deps);
  const mapping = new EventSourceMapping({
    clients: ctx.clients,
    settings: CONSUMERS.anomaly,
    fn: FUNCTIONS.anomaly,
    handler,
    checkpointsRoot: ctx.paths.checkpoints,
    dlqRoot: ctx.paths.dlq,
    log: ctx.log,
  });

  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  let lastSweep: Record<string, unknown> | undefined;
  const sweep = (graceMs?: number): Promise<void> =>
    (sweeping ??= sweepOutbox({ alerts, publisher, archive, graceMs })
      .then((r) => {
        lastSweep = { at: new Date().toISOString(), pending: r.pending, published: r.published, failed: r.failed };
        if (r.failed)
          ctx.log.warn(`anomaly: outbox sweep could not publish ${r.failed} notification(s): ${r.errors[0]}`);
      })
      .catch((err: Error) => ctx.log.warn(`anomaly: outbox sweep failed: ${err.message}`))
      .finally(() => (sweeping = undefined)));

  let watchTimer: NodeJS.Timeout | undefined;
  let watching: Promise<void> | undefined;
  let lastWatch: Record<string, unknown> | undefined;
  const watch = (): Promise<void> =>
    (watching ??= watchdogTick({ feeds, alerts, config, now: Date.now, publisher, archive })
      .then((r) => {
        lastWatch = {
          at: new Date().toISOString(),
          low_watermark: r.low_watermark === undefined ? null : new Date(r.low_watermark).toISOString(),
          opened: r.opened,
        };
      })
      .catch((err: Error) => ctx.log.warn(`anomaly: stale_feed watchdog failed: ${err.message}`))
      .finally(() => (watching = undefined)));

  return {
    name: ANOMALY_SERVICE,
    mapping,
    invalidateAssets: () => assets.invalidate(),
    sweep: () => sweep(0),
    async start() {
      await mapping.start();
      timer = setInterval(() => void sweep(), OUTBOX_SWEEP_INTERVAL_MS);
      timer.unref();
      watchTimer = setInterval(() => void watch(), SCHEDULES.watchdog.minutes * 60_000);
      watchTimer.unref();
    },
    async stop() {
      clearInterval(timer);
      clearInterval(watchTimer);
      await mapping.stop();
      await sweeping;
      await watching;
    },
    flush: () => sweep(0),
    async status() {
      const [stored, outbox] = await Promise.all([
        windows.lateTotals(),
        alerts.pending(new Date(Date.now() + 1000).toISOString()),
      ]);
      return {
        ...(await mapping.status()),
        this_process: { ...totals },
        windows: stored.windows,
        // Persisted in the windows table: what replays and restarts keep.
        late_readings: stored.late_readings,
        series_with_late_readings: stored.series_with_late,
        outbox_pending: outbox.length,
        ...(lastSweep ? { last_sweep: lastSweep } : {}),
        ...(lastWatch ? { last_stale_feed_watch: lastWatch } : {}),
      };
    },
  };
}

export const anomalyService: ServiceFactory & { readonly consumer: LocalConsumer } = Object.assign(
  (ctx: ServiceContext) => createAnomalyService(ctx),
  {
    consumer: anomalyConsumer,
  },
);
