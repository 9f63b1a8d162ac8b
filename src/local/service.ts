/**
 * What the embedded runtime runs besides the emulators: the S3 → splitter wiring,
 * the event source mapping pollers, the local Firehose, the local SNS topic. Each
 * is a Service assembled from a ServiceContext; `pipeline.ts` lists them.
 */
import type { S3Event } from 'aws-lambda';
import type { Clients } from '../shared/clients.ts';
import type { DataPaths } from './data-dir.ts';

export interface RuntimeLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line of the console alert subscriber; `info` when absent. */
  alert?(message: string): void;
}

export interface ServiceContext {
  readonly dataDir: string;
  readonly paths: DataPaths;
  readonly clients: Clients;
  /** Subscribe to the bucket's S3 notifications (already URL-encoded as on AWS). */
  onS3Event(listener: (event: S3Event) => void): void;
  readonly log: RuntimeLog;
  /** Other services of the same runtime, by name, once all are built. */
  service<T extends Service>(name: string): T | undefined;
}

export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Push out anything buffered (the lake writer's buffers, say). */
  flush?(): Promise<void>;
  /** Entries this service adds to the runtime file once started (the API server's `console_url`). */
  runtime?(): Record<string, string>;
  /** Figures for `dubegrid status`. */
  status?(): Promise<Record<string, unknown>>;
}

export type ServiceFactory = (ctx: ServiceContext) => Service;

export const silentLog: RuntimeLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const stderrLog: RuntimeLog = {
  info: (m) => process.stderr.write(`${m}\n`),
  warn: (m) => process.stderr.write(`warning: ${m}\n`),
  error: (m) => process.stderr.write(`error: ${m}\n`),
};

/** `log`, silent while `muted()` holds: for a runtime whose services can only report the consequence of a known fault. */
export function mutedWhen(log: RuntimeLog, muted: () => boolean): RuntimeLog {
  const unless =
    (write: (message: string) => void) =>
    (message: string): void => {
      if (!muted()) write(message);
    };
  const alert = log.alert;
  return {
    info: unless((m) => log.info(m)),
    warn: unless((m) => log.warn(m)),
    error: unless((m) => log.error(m)),
    ...(alert ? { alert: unless((m) => alert.call(log, m)) } : {}),
  };
}
