/**
 * Kinesis's per-call GetRecords limit for the local stream. A GetRecords call on Kinesis
 * returns at most 10 MiB; kinesalite has no byte limit, so one call with `Limit: 10000`
 * (the local Firehose) or 500 (a consumer's batch of KPL aggregates, ~100 KB each) read
 * a whole backlog: a 96 k-reading file came back as one ~40 MB response, built in the
 * emulator host and parsed in `up` by three readers at once — most of the 800 MB peak
 * (docs/reliability.md → "Peak memory"). This puts kinesalite's GetRecords behind a
 * capped one, before kinesalite loads its actions (import this module first):
 * records are read in pages of `PAGE_RECORDS` and returned up to `LOCAL_GET_RECORDS_MAX_BYTES`
 * of data and partition keys, within the 10 MiB Kinesis allows (always at least one
 * record), with the iterator after the last record returned, so neither process holds
 * more than about one response.
 */
import { createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Kinesis GetRecords: "The size of the data returned by GetRecords is limited to 10 MiB". */
export const GET_RECORDS_MAX_BYTES = 10 * 1024 * 1024;
/**
 * What one local GetRecords returns at most: a fifth of Kinesis's limit, which is an upper
 * bound every reader already takes any page size under. A response costs about four times
 * its data while it is built and parsed (the records and the JSON in the emulator host; the
 * body, its text, the parsed base64 and the decoded records in `up`), and three readers read
 * at once: at 10 MiB that was the emulator host's 80 MiB bursts and a good part of `up`'s
 * ArrayBuffers. The consumers still fill their batches (they read on within the batching
 * window up to the batch size and the 6 MB invocation payload), over more calls.
 */
export const LOCAL_GET_RECORDS_MAX_BYTES = 2 * 1024 * 1024;
/** Records kinesalite materialises per read inside one call. */
const PAGE_RECORDS = 50;

interface KinesaliteRecord {
  readonly Data: string;
  readonly PartitionKey: string;
  readonly SequenceNumber: string;
}
interface GetRecordsResult {
  Records: KinesaliteRecord[];
  NextShardIterator?: string;
  MillisBehindLatest: number;
}
type Callback = (err: unknown, result?: GetRecordsResult) => void;
type GetRecords = (store: unknown, data: { ShardIterator: string; Limit?: number }, cb: Callback) => void;

interface KinesaliteDb {
  readonly ITERATOR_PWD_KEY: Buffer;
  readonly ITERATOR_PWD_IV: Buffer;
  parseSequence(seq: string): unknown;
  incrementSequence(seq: unknown): string;
  createShardIterator(stream: string, shardId: string, seq: string): string;
}

const actionPath = require.resolve('kinesalite/actions/getRecords.js');
const db = require('kinesalite/db/index.js') as KinesaliteDb;
const uncapped = require(actionPath) as GetRecords;
const cached = require.cache[actionPath];
if (cached) cached.exports = cappedGetRecords(uncapped, LOCAL_GET_RECORDS_MAX_BYTES);

/** Stream name and shard id of a kinesalite iterator (its own format: AES over `time/stream/shard/seq/pad`). */
function iteratorTarget(iterator: string): { stream: string; shardId: string } {
  const decipher = createDecipheriv('aes-256-cbc', db.ITERATOR_PWD_KEY, db.ITERATOR_PWD_IV);
  const buffer = Buffer.from(iterator, 'base64');
  const [, stream = '', shardId = ''] = Buffer.concat([decipher.update(buffer.subarray(8)), decipher.final()])
    .toString('utf8')
    .split('/');
  return { stream, shardId };
}

export function recordBytes(r: KinesaliteRecord): number {
  return Buffer.byteLength(r.Data, 'base64') + Buffer.byteLength(r.PartitionKey);
}

export function cappedGetRecords(getRecords: GetRecords, maxBytes: number): GetRecords {
  return (store, data, cb) => {
    const limit = data.Limit ?? 10_000;
    const records: KinesaliteRecord[] = [];
    let bytes = 0;
    const page = (iterator: string): void => {
      getRecords(
        store,
        { ...data, ShardIterator: iterator, Limit: Math.min(PAGE_RECORDS, limit - records.length) },
        (err, result) => {
          if (err || !result) return cb(err, result);
          let taken = 0;
          for (const r of result.Records) {
            const size = recordBytes(r);
            if (records.length > 0 && bytes + size > maxBytes) break;
            records.push(r);
            bytes += size;
            taken++;
          }
          if (taken < result.Records.length) {
            // the cap fell inside this page: go on after the last record returned
            const { stream, shardId } = iteratorTarget(iterator);
            const last = records[records.length - 1] as KinesaliteRecord;
            const next = db.createShardIterator(
              stream,
              shardId,
              db.incrementSequence(db.parseSequence(last.SequenceNumber)),
            );
            return cb(null, {
              Records: records,
              NextShardIterator: next,
              MillisBehindLatest: result.MillisBehindLatest,
            });
          }
          const full = records.length >= limit || bytes >= maxBytes;
          // a short page means the shard's end for now (or its close): answer as the last page did
          if (full || result.Records.length < PAGE_RECORDS || result.NextShardIterator === undefined) {
            return cb(null, { ...result, Records: records });
          }
          page(result.NextShardIterator);
        },
      );
    };
    page(data.ShardIterator);
  };
}
