/**
 * Buffering of the local delivery stream: its defaults and the environment variables
 * that change them (read where the embedded runtime is assembled).
 */
import type { BufferingHints } from './delivery.ts';

/**
 * Smaller than Firehose's (128 MiB / 300 s, see `FIREHOSE_CONVERSION.buffering`): a
 * laptop's lake should show readings within a minute, and `flush` writes everything
 * at once anyway (`dubegrid ingest --wait`, shutdown).
 */
export const LOCAL_BUFFERING: BufferingHints = { sizeBytes: 16 * 1024 * 1024, intervalMs: 60_000 };

export const LAKE_ENV = {
  bufferMiB: 'DUBEGRID_LAKE_BUFFER_MB',
  bufferSeconds: 'DUBEGRID_LAKE_BUFFER_SECONDS',
} as const;

export class LakeConfigError extends Error {
  override name = 'LakeConfigError';
}

/** The defaults, overridden by the environment where it says so. */
export function bufferingFromEnv(env: NodeJS.ProcessEnv, defaults: BufferingHints = LOCAL_BUFFERING): BufferingHints {
  const number = (name: string): number | undefined => {
    const text = env[name];
    if (text === undefined || text.trim() === '') return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0)
      throw new LakeConfigError(`${name} must be a positive number, got ${JSON.stringify(text)}`);
    return n;
  };
  const mib = number(LAKE_ENV.bufferMiB);
  const seconds = number(LAKE_ENV.bufferSeconds);
  return {
    sizeBytes: mib === undefined ? defaults.sizeBytes : Math.round(mib * 1024 * 1024),
    intervalMs: seconds === undefined ? defaults.intervalMs : Math.round(seconds * 1000),
  };
}
