/**
 * What a replay, backfill, rebuild or verify run is given: the target's clients, the
 * account its ARNs name, the data dir's layout (embedded target), who publishes the
 * notifications the anomaly projection stores from this process, and which live
 * consumers run beside the run. `opsEnvironment` assembles it from a command's context.
 *
 * Publishing follows the outbox design (docs/architecture.md → "Projections"): a run publishes
 * through a topic only where one is at hand — the local topic of the data dir's
 * subscribers when this command runs the stack itself, the SNS topic on AWS when its ARN
 * is configured; beside a running stack it leaves notifications in the outbox and asks
 * that stack to sweep it (`flush`).
 */
import { join } from 'node:path';
import { PublishError, SnsPublisher, type AlertPublisher } from '../../consumers/anomaly/publisher.ts';
import { dataPaths, type DataPaths } from '../../local/data-dir.ts';
import { silentLog, type RuntimeLog } from '../../local/service.ts';
import { loadSubscriptions } from '../../local/sns/config.ts';
import { LocalTopic } from '../../local/sns/topic.ts';
import type { Clients } from '../../shared/clients.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import { LOCAL_ACCOUNT } from '../../shared/resources.ts';
import { readSettings } from '../../shared/settings.ts';
import { isProjectionName, PROJECTIONS, type ProjectionName } from './projection-names.ts';

export { isProjectionName, PROJECTIONS, type ProjectionName };

/** The live reader of the stream behind each projection (a consumer, or the local Firehose). */
export const LIVE_READER: Readonly<Record<ProjectionName, string>> = {
  state: CONSUMERS.state.name,
  anomaly: CONSUMERS.anomaly.name,
  lake: 'firehose',
};

export interface OpsEnvironment {
  readonly target: 'local' | 'aws';
  readonly clients: Clients;
  /** The account in the ARNs of real-shaped events. */
  readonly account: string;
  /** The data dir's layout on the embedded target. */
  readonly paths?: DataPaths;
  /** Publishes what the anomaly projection stores during the run. */
  readonly publisher: AlertPublisher;
  /** Live stream readers running beside this run, by name (`state`, `anomaly`, `firehose`). */
  readonly liveReaders: readonly string[];
  /** Where the handlers read their configuration, as a Lambda function's environment. */
  readonly env: NodeJS.ProcessEnv;
  readonly log: RuntimeLog;
  /** Makes whatever runs beside this run publish its outbox and write out buffered lake rows. */
  flush(): Promise<void>;
  /** Releases what the environment opened (a local topic). */
  close(): Promise<void>;
}

/** What `opsEnvironment` needs of a command's context (`CommandContext` has it). */
export interface ContextLike {
  readonly target: 'local' | 'aws';
  readonly dataDir: string;
  readonly clients: Clients;
  readonly attached?: unknown;
  readonly ownStack?: { readonly services: readonly { readonly name: string }[] };
  servicesStatus(): Promise<Record<string, Record<string, unknown>>>;
  flush(): Promise<void>;
}

/** Leaves a notification in the outbox: whoever sweeps it (a running stack, the deployed sweeper) publishes it. */
export const outboxOnly: AlertPublisher = {
  publish: () => Promise.reject(new PublishError('no topic in this process: the outbox sweeper publishes it')),
};

export async function opsEnvironment(
  ctx: ContextLike,
  log: RuntimeLog = silentLog,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpsEnvironment> {
  const base = { target: ctx.target, clients: ctx.clients, env, log };
  if (ctx.target === 'aws') {
    const settings = readSettings(env);
    const topicArn = settings.alertsTopicArn;
    return {
      ...base,
      account: settings.awsAccount ?? 'unknown',
      publisher: topicArn ? new SnsPublisher(ctx.clients.sns, topicArn) : outboxOnly,
      liveReaders: [],
      flush: async () => undefined,
      close: async () => undefined,
    };
  }
  const paths = dataPaths(ctx.dataDir);
  if (ctx.attached) {
    const status = await ctx.servicesStatus().catch(() => ({}));
    return {
      ...base,
      account: LOCAL_ACCOUNT,
      paths,
      publisher: outboxOnly,
      liveReaders: Object.keys(status),
      flush: () => ctx.flush(),
      close: async () => undefined,
    };
  }
  // This command runs the stack: the data dir's subscribers are reached through a topic of our own.
  const topic = new LocalTopic({ subscriptions: () => loadSubscriptions(paths.subscriptions, ctx.dataDir), log });
  return {
    ...base,
    account: LOCAL_ACCOUNT,
    paths,
    publisher: topic,
    liveReaders: (ctx.ownStack?.services ?? []).map((s) => s.name),
    flush: async () => {
      await ctx.flush();
      await topic.flush();
    },
    close: () => topic.close(),
  };
}

/** Where the lake writer keeps its temporary files on this target. */
export function lakeTmpDir(envt: Pick<OpsEnvironment, 'paths'>): string | undefined {
  return envt.paths ? join(envt.paths.cache, 'replay-lake-writer') : undefined;
}
