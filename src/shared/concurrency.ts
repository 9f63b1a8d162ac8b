/**
 * Batching and bounded concurrency, written once for every caller (the consumers'
 * DynamoDB batches, the registry loader, replay's wipe, verify's raw-zone reads).
 */

/** DynamoDB's BatchWriteItem limit: at most 25 put or delete requests per call. */
export const BATCH_WRITE_MAX = 25;
/** DynamoDB's BatchGetItem limit: at most 100 keys per call. */
export const BATCH_GET_MAX = 100;

/** `items` in consecutive slices of at most `size` (the last one may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive whole number, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `fn` over every item with at most `limit` calls in flight, each started as soon
 * as one finishes. The first rejection rejects the pool, after the calls already in
 * flight have settled; no new call starts once one has failed.
 */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`pool limit must be a positive whole number, got ${limit}`);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
