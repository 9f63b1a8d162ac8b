/**
 * `dubegrid rebuild --projection P [--from-raw]`: empty one projection (its tables,
 * window state, or lake objects) and build it again — from the stream (a replay of
 * everything it holds) or, with `fromRaw`, from the raw zone (every raw object
 * backfilled into the stream, then replayed from the moment the backfill began) — then
 * run verify, whose answer is the rebuild's.
 *
 * - From the stream only while the stream still holds every reading: the oldest
 *   manifest must be younger than the stream's retention, else `--from-raw` is needed.
 * - The anomaly projection is judged in time order per series; a live anomaly consumer
 *   writing windows while they are rebuilt would have old readings counted late, so it
 *   must not run (locally: stop `dubegrid up`; on AWS: disable its event source mapping).
 *   State and lake writes are idempotent and order-independent: their live readers may run.
 * - Notifications the alerts table held as published before it was emptied are not
 *   announced again when the rebuild stores them anew: they are marked published with
 *   their original message id. Anything else is published as usual.
 */
import type { ProgressMeter } from '../../shared/progress.ts';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { AlertMessage, AlertPublisher } from '../../consumers/anomaly/publisher.ts';
import { AlertStore } from '../../consumers/anomaly/store/alert-store.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { backfill, type BackfillSummary } from './backfill.ts';
import { readSettings } from '../../shared/settings.ts';
import { LIVE_READER, type OpsEnvironment, type ProjectionName } from './environment.ts';
import { ReplayPreconditionError } from './errors.ts';
import { replay, type ReplaySummary } from './replay.ts';
import { readManifests } from './verify/raw-zone.ts';
import { verify, type VerifyReport } from './verify/verify.ts';
import { wipeProjection, type Wiped } from './wipe.ts';

/**
 * Arrival times are the stream's clock, the replay's bounds this machine's: the replay
 * after a backfill starts this much before it, and every range ends this much after now.
 */
export const CLOCK_MARGIN_MS = 60_000;

export interface RebuildOptions {
  readonly projection: ProjectionName;
  readonly fromRaw: boolean;
  /** With `fromRaw`: readings per second of the backfill. */
  readonly rate?: number | undefined;
  readonly progress?: ((line: string) => void) | undefined;
  readonly meter?: ProgressMeter | undefined;
}

export interface RebuildSummary {
  readonly projection: ProjectionName;
  readonly from_raw: boolean;
  readonly wiped: Wiped;
  readonly backfill?: BackfillSummary;
  readonly replay: ReplaySummary;
  /** Anomaly: notifications stored again that had been published before, not announced twice. */
  readonly not_announced_again: number;
  readonly verify: VerifyReport;
}

export async function rebuild(envt: OpsEnvironment, options: RebuildOptions): Promise<RebuildSummary> {
  const say = options.progress ?? (() => undefined);
  const { clients } = envt;
  const { projection } = options;
  if (projection === 'anomaly' && envt.liveReaders.includes(LIVE_READER.anomaly)) {
    throw new ReplayPreconditionError(
      "the running stack's anomaly consumer would judge readings while their windows are rebuilt; stop the stack (`dubegrid up`) and run rebuild again",
    );
  }
  if (!options.fromRaw) await checkStreamHoldsEverything(envt);
  if (projection === 'anomaly' && envt.target === 'aws')
    say('rebuild: the deployed anomaly consumer must not run meanwhile: disable its event source mapping first');

  const announced = projection === 'anomaly' ? await publishedNotifications(envt) : new Map<string, string>();
  say(`rebuild: emptying the ${projection} projection…`);
  const wiped = await wipeProjection(clients, projection);
  say(`rebuild: emptied ${describeWiped(wiped)}`);

  let backfilled: BackfillSummary | undefined;
  let from = new Date(0);
  if (options.fromRaw) {
    from = new Date(Date.now() - CLOCK_MARGIN_MS);
    backfilled = await backfill(clients, {
      prefix: PREFIXES.raw,
      rate: options.rate,
      sourceTimeZone: readSettings(envt.env).sourceTimeZone,
      progress: say,
      meter: options.meter,
    });
  }
  let reused = 0;
  const publisher = notAnnouncedAgain(envt.publisher, announced, () => reused++);
  const replayed = await replay(envt, {
    range: { from, to: new Date(Date.now() + CLOCK_MARGIN_MS) },
    projections: [projection],
    publisher,
    progress: say,
    meter: options.meter,
  });
  await envt.flush();
  say('rebuild: verifying…');
  const report = await verify(envt, { progress: say });
  return {
    projection,
    from_raw: options.fromRaw,
    wiped,
    ...(backfilled ? { backfill: backfilled } : {}),
    replay: replayed,
    not_announced_again: reused,
    verify: report,
  };
}

/** The stream must still hold the oldest split's records: its retention reaches back past the oldest manifest. */
async function checkStreamHoldsEverything(envt: OpsEnvironment): Promise<void> {
  const { clients } = envt;
  const [summary, { manifests }] = await Promise.all([
    clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: clients.names.stream })),
    readManifests(clients.s3, clients.names.bucket),
  ]);
  const hours = summary.StreamDescriptionSummary?.RetentionPeriodHours ?? 24;
  const horizon = new Date(Date.now() - hours * 3_600_000).toISOString();
  const older = [...manifests.values()]
    .filter((m) => m.ingested_at < horizon)
    .sort((a, b) => a.ingested_at.localeCompare(b.ingested_at));
  if (older.length > 0) {
    throw new ReplayPreconditionError(
      `the stream keeps records for ${hours} h, and ${older.length} raw object(s) were split before ${horizon} (the first: ${older[0]?.source.key} at ${older[0]?.ingested_at}); ` +
        'rebuild from the raw zone with --from-raw',
    );
  }
}

/** Notification id → message id of every notification stored as published. */
async function publishedNotifications(envt: OpsEnvironment): Promise<Map<string, string>> {
  const all = await new AlertStore(envt.clients.doc, envt.clients.names.tables.alerts).notifications();
  return new Map(
    all.filter((n) => n.published_at).map((n) => [n.notification_id, (n as { message_id?: string }).message_id ?? '']),
  );
}

/** Publishes through `publisher`, except notifications announced before: those keep their message id. */
export function notAnnouncedAgain(
  publisher: AlertPublisher,
  announced: ReadonlyMap<string, string>,
  onReuse: () => void = () => undefined,
): AlertPublisher {
  if (announced.size === 0) return publisher;
  return {
    publish: async (message: AlertMessage) => {
      const id = notificationIdOf(message);
      const prior = id === undefined ? undefined : announced.get(id);
      if (prior === undefined) return publisher.publish(message);
      onReuse();
      return { messageId: prior };
    },
  };
}

function notificationIdOf(message: AlertMessage): string | undefined {
  try {
    const id = (JSON.parse(message.body) as { notification_id?: unknown }).notification_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function describeWiped(w: Wiped): string {
  const parts = [
    ...Object.entries(w.items).map(([t, n]) => `${n} item(s) of ${t}`),
    ...Object.entries(w.objects).map(([p, n]) => `${n} object(s) under ${p}`),
  ];
  return parts.join(', ') || 'nothing';
}
