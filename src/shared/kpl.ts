/**
 * KPL aggregation format: many user records in one Kinesis record (encoded here,
 * de-aggregated by `aws-kinesis-agg`). The splitter aggregates with one aggregator per partition key — never two
 * keys in one aggregated record, since a record is routed by one key; the consumers
 * and the local Firehose de-aggregate with `deaggregate`.
 */
import { hash } from 'node:crypto';
import { createRequire } from 'node:module';

interface LibUserRecord {
  partitionKey: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  data: string;
}
interface AggLib {
  deaggregateSync(
    record: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    callback: (err: Error | null, records?: LibUserRecord[]) => void,
  ): void;
}

// The package's own typings import the v2 `aws-sdk`; load it untyped and type what is used.
const lib = createRequire(import.meta.url)('aws-kinesis-agg') as AggLib;

/** Kinesis's limit for one record's data plus partition key. */
export const KINESIS_MAX_RECORD_BYTES = 1024 * 1024;

export interface AggregatedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  /** User records inside. */
  readonly count: number;
}

/**
 * One KPL aggregate per partition key. `add` returns the aggregated records that
 * became full; `flush` returns the rest.
 *
 * Encoding is DubeGrid's own (`KplAggregate`, below), byte for byte what
 * `aws-kinesis-agg`'s `RecordAggregator` builds (tested): the library holds a Buffer
 * and two objects per user record and encodes them through protobufjs at build time,
 * which cost the splitter about 1 µs an event, a fifth of its per-row cost (`npm run
 * bench -- splitter`). Decoding stays the library's (`deaggregate`).
 */
export class KeyedAggregator {
  private readonly open = new Map<string, KplAggregate>();
  private held = 0;
  /**
   * Emptied aggregates kept by `flush` for the keys that come next: a file of many
   * substations flushes often, and each new aggregate's buffer would otherwise be
   * allocated and grown by doubling again (a fifth of the envelope's cost per event with a
   * thousand keys). Their buffers are at most SPARE_MAX_BYTES together.
   */
  private readonly spare: KplAggregate[] = [];
  private spareBytes = 0;

  /** @param maxBytes cap on one aggregate's protobuf body (≤ 1 MiB): smaller records reach consumers sooner. */
  constructor(private readonly maxBytes = KINESIS_MAX_RECORD_BYTES - 1024) {
    if (maxBytes > KINESIS_MAX_RECORD_BYTES || maxBytes < 1024) {
      throw new RangeError(`maxBytes must be between 1 KiB and 1 MiB, got ${maxBytes}`);
    }
  }

  add(partitionKey: string, data: Buffer): AggregatedRecord[] {
    const agg = this.slot(partitionKey);
    const full = agg.wouldExceed(data.length, this.maxBytes) ? this.build(agg) : undefined;
    this.held -= agg.heldBytes;
    agg.addBytes(data);
    this.held += agg.heldBytes;
    return full ? [full] : [];
  }

  /**
   * As `add`, for a user record given as text whose UTF-8 length the caller knows
   * (ASCII: its length): no Buffer and no array per record on the splitter's hot path.
   * Returns the aggregate that became full, if one did.
   */
  addText(partitionKey: string, text: string, byteLength: number): AggregatedRecord | undefined {
    const agg = this.slot(partitionKey);
    const full = agg.wouldExceed(byteLength, this.maxBytes) ? this.build(agg) : undefined;
    this.held -= agg.heldBytes;
    agg.addText(text, byteLength);
    this.held += agg.heldBytes;
    return full;
  }

  /** Every open aggregate, in the order their keys were first seen. */
  flush(): AggregatedRecord[] {
    const out: AggregatedRecord[] = [];
    for (const agg of this.open.values()) {
      if (agg.count > 0) out.push(agg.build());
      if (this.spareBytes + agg.capacity <= SPARE_MAX_BYTES) {
        this.spare.push(agg);
        this.spareBytes += agg.capacity;
      }
    }
    this.open.clear();
    this.held = 0;
    return out;
  }

  /** Bytes of user records (with their framing) in the open aggregates: what a memory budget weighs. */
  get heldBytes(): number {
    return this.held;
  }

  /** User records held and not yet flushed. */
  get pending(): number {
    let n = 0;
    for (const agg of this.open.values()) n += agg.count;
    return n;
  }

  private build(agg: KplAggregate): AggregatedRecord {
    this.held -= agg.heldBytes;
    return agg.build();
  }

  private slot(partitionKey: string): KplAggregate {
    let agg = this.open.get(partitionKey);
    if (agg === undefined) {
      const spare = this.spare.pop();
      if (spare === undefined) agg = new KplAggregate(partitionKey);
      else {
        this.spareBytes -= spare.capacity;
        agg = spare.rekey(partitionKey);
      }
      this.open.set(partitionKey, agg);
    }
    return agg;
  }
}

/** Node's per-encoding Buffer writers (public methods, left out of @types/node). */
interface FastWrite extends Buffer {
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
}

/** The KPL format's first four bytes. */
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const KPL_MD5_BYTES = 16;
/** Protobuf keys (field number << 3 | wire type) of the fields written. */
const PARTITION_KEY_TABLE = 0x0a; // AggregatedRecord.partition_key_table = 1, length-delimited
const RECORDS = 0x1a; // AggregatedRecord.records = 3, length-delimited
const PARTITION_KEY_INDEX = 0x08; // Record.partition_key_index = 1, varint
const DATA = 0x1a; // Record.data = 3, length-delimited
const FIRST_BUFFER_BYTES = 4096;
/** Buffers of emptied aggregates kept for reuse (KeyedAggregator.spare), at most. */
const SPARE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * One aggregated record being filled: the magic, then the protobuf `AggregatedRecord`
 * written as records arrive (one partition key, index 0; no explicit hash keys, no
 * tags), into a buffer that grows by doubling and is reused after each build.
 */
class KplAggregate {
  count = 0;
  private buf = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);
  private length = 0;
  /** Where the body's records begin: after the magic and the key table entry. */
  private recordsStart = 0;

  constructor(private partitionKey: string) {
    this.rekey(partitionKey);
  }

  /** Starts the aggregate afresh, empty, for `partitionKey` (its buffer kept). */
  rekey(partitionKey: string): this {
    this.partitionKey = partitionKey;
    this.count = 0;
    this.length = 0;
    const keyBytes = Buffer.byteLength(partitionKey);
    this.reserve(KPL_MAGIC.length + 1 + varintSize(keyBytes) + keyBytes);
    this.buf.set(KPL_MAGIC, 0);
    let at = KPL_MAGIC.length;
    this.buf[at++] = PARTITION_KEY_TABLE;
    at = writeVarint(this.buf, at, keyBytes);
    this.length = this.recordsStart = at + this.buf.write(partitionKey, at, 'utf8');
    return this;
  }

  /** Bytes of its buffer. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Bytes of the records added since the last build. */
  get heldBytes(): number {
    return this.length - this.recordsStart;
  }

  /** True when a record of `dataBytes` would take a non-empty body beyond `maxBytes` (aws-kinesis-agg's `totalBytes` rule). */
  wouldExceed(dataBytes: number, maxBytes: number): boolean {
    return this.count > 0 && this.length - KPL_MAGIC.length + recordSize(dataBytes) > maxBytes;
  }

  addBytes(data: Buffer): void {
    this.recordHead(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    this.count++;
  }

  addText(text: string, byteLength: number): void {
    this.recordHead(byteLength);
    // latin1 copies one byte per character: exact for ASCII, which is what byteLength === length says.
    // The encoding's own write method: `write` spends a tenth of a microsecond sorting out its arguments.
    const buf = this.buf as FastWrite;
    this.length += byteLength === text.length ? buf.latin1Write(text, this.length) : buf.utf8Write(text, this.length);
    this.count++;
  }

  /** The finished record (magic, body, MD5 of the body); the aggregate is empty again. */
  build(): AggregatedRecord {
    const out = Buffer.allocUnsafe(this.length + KPL_MD5_BYTES);
    this.buf.copy(out, 0, 0, this.length);
    hash('md5', this.buf.subarray(KPL_MAGIC.length, this.length), 'buffer').copy(out, this.length);
    const record = { partitionKey: this.partitionKey, data: out, count: this.count };
    this.length = this.recordsStart;
    this.count = 0;
    return record;
  }

  private recordHead(dataBytes: number): void {
    const inner = innerSize(dataBytes);
    this.reserve(1 + varintSize(inner) + inner);
    const b = this.buf;
    let at = this.length;
    b[at++] = RECORDS;
    at = writeVarint(b, at, inner);
    b[at++] = PARTITION_KEY_INDEX;
    b[at++] = 0;
    b[at++] = DATA;
    this.length = writeVarint(b, at, dataBytes);
  }

  private reserve(bytes: number): void {
    const need = this.length + bytes;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

/** A `Record` message: partition key index 0 and `dataBytes` of data. */
function innerSize(dataBytes: number): number {
  return 2 + 1 + varintSize(dataBytes) + dataBytes;
}

/** What one user record adds to the body: its field key, its length and its message. */
function recordSize(dataBytes: number): number {
  const inner = innerSize(dataBytes);
  return 1 + varintSize(inner) + inner;
}

function varintSize(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[at++] = value;
  return at;
}

export interface UserRecord {
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  readonly data: Buffer;
}

export class KplDecodeError extends Error {
  override name = 'KplDecodeError';
}

/**
 * The user records inside one Kinesis record (a plain record yields itself).
 * Checksums are verified: a corrupt aggregate is an error, not silent data.
 */
export function deaggregate(record: {
  data: Buffer | string;
  partitionKey: string;
  sequenceNumber: string;
}): UserRecord[] {
  const data = typeof record.data === 'string' ? record.data : record.data.toString('base64');
  let result: UserRecord[] = [];
  let failure: Error | undefined;
  lib.deaggregateSync(
    { data, partitionKey: record.partitionKey, sequenceNumber: record.sequenceNumber },
    true,
    (err, records) => {
      if (err) failure = err;
      else
        result = (records ?? []).map((r) => ({
          partitionKey: r.partitionKey,
          sequenceNumber: r.sequenceNumber,
          subSequenceNumber: r.subSequenceNumber ?? 0,
          data: Buffer.from(r.data, 'base64'),
        }));
    },
  );
  if (failure)
    throw new KplDecodeError(`record ${record.sequenceNumber} could not be de-aggregated: ${failure.message}`, {
      cause: failure,
    });
  return result;
}
