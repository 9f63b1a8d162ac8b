/**
 * Layout of the embedded stack's data dir. Every path under it is named here.
 */
import { isAbsolute, join, resolve } from 'node:path';

export const DEFAULT_DATA_DIR = '.dubegrid';
export const DATA_DIR_ENV = 'DUBEGRID_DATA_DIR';

/** The data dir: the flag, else the environment, else `.dubegrid/` in the working directory. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env[DATA_DIR_ENV] ?? DEFAULT_DATA_DIR;
  return isAbsolute(chosen) ? chosen : resolve(process.cwd(), chosen);
}

export function dataPaths(dataDir: string) {
  return {
    root: dataDir,
    runtimeFile: join(dataDir, 'runtime.json'),
    s3: join(dataDir, 's3'),
    kinesis: join(dataDir, 'kinesis'),
    dynamodb: join(dataDir, 'dynamodb'),
    checkpoints: join(dataDir, 'checkpoints'),
    dlq: join(dataDir, 'dlq'),
    subscriptions: join(dataDir, 'subscriptions.json'),
    cache: join(dataDir, 'cache'),
    logs: join(dataDir, 'logs'),
    /** The API's bearer token (mode 0600), created by the first `up`. */
    apiToken: join(dataDir, 'api-token'),
    /** The built console the API server serves. */
    console: join(dataDir, 'console'),
  } as const;
}

export type DataPaths = ReturnType<typeof dataPaths>;
