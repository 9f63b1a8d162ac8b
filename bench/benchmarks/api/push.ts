/**
 * Alert push latency: from the PutObject of a raw CSV holding an out-of-band voltage to
 * the `alert` event reaching an SSE client of the API, read with `fetch` and its body
 * reader as the console reads it. Each trial is a new substation (`LVAPIBnn`), so no
 * trial waits on another's incident to close.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PREFIXES } from '../../../src/shared/resources.ts';
import { openStream, voltageCsv } from '../../../test/support/api.ts';

/** A trial with no event by then counts as a timeout (and fails the target). */
const TRIAL_TIMEOUT_MS = 30_000;

export interface PushLatency {
  readonly samplesMs: number[];
  readonly timeouts: number;
}

export async function measurePush(
  api: { readonly url: string; readonly token: string },
  s3: S3Client,
  bucket: string,
  trials: number,
): Promise<PushLatency> {
  const stream = await openStream(api.url, api.token);
  if (stream.status !== 200) throw new Error(`alert stream: ${stream.status}`);
  const samplesMs: number[] = [];
  let timeouts = 0;
  try {
    for (let trial = 0; trial < trials; trial++) {
      const substation = `LVAPIB${String(trial).padStart(2, '0')}`;
      const csv = voltageCsv(substation, '2025-10-01T00:00:00Z', [240, 241, 275, 276, 277]);
      const seen = stream.events.length;
      const began = performance.now();
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `${PREFIXES.raw}bench-api/push-${trial}.csv`, Body: csv }),
      );
      const at = await arrival(stream, seen, (n) => n.asset_id === substation && n.kind === 'open');
      if (at === undefined) timeouts++;
      else samplesMs.push(at - began);
    }
  } finally {
    stream.close();
  }
  return { samplesMs, timeouts };
}

type Stream = Awaited<ReturnType<typeof openStream>>;

/** When the first matching alert after event `from` was read; undefined after the timeout. */
async function arrival(
  stream: Stream,
  from: number,
  match: (n: { asset_id?: string; kind?: string }) => boolean,
): Promise<number | undefined> {
  const deadline = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), TRIAL_TIMEOUT_MS).unref());
  const found = (async () => {
    for (let i = from; ; i++) {
      const e = await stream.next(i);
      if (e.event === 'alert' && match(JSON.parse(e.data) as { asset_id?: string; kind?: string })) return e.at;
    }
  })();
  return Promise.race([found, deadline]);
}
