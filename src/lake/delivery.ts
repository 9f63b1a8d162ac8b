/**
 * The delivery core: what Firehose does between a Kinesis source and S3, without the
 * reading of shards (the local service and the AWS rebuild feed it records).
 *
 * - KPL de-aggregation of each record (`deaggregate`, checksums verified);
 * - conversion of each reading to a row of the Glue schema (`convertRecord`);
 * - dynamic partitioning by the reading's own date, one buffer per partition;
 * - buffering by size and interval (`BufferingHints`), Parquet per buffer;
 * - failures to `processed-errors/<type>/y=/m=/d=/` as Firehose's error records (JSON
 *   lines with the reason and the raw data), partitioned by arrival date;
 * - at-least-once: a position is reported safe to checkpoint (`FlushOutcome.commits`)
 *   only after every object holding its readings is written. A crash in between
 *   delivers those readings again; the `readings` view absorbs the duplicates.
 *
 * Within one buffer a reading seen twice is kept once (the winning emission, as
 * `compareEmission` decides): a replay inside one buffering window costs nothing.
 */
import { randomUUID } from 'node:crypto';
import { compareEmission, type ReadingEvent } from '../shared/event.ts';
import { partitionPrefix, type PartitionValues, FIREHOSE_CONVERSION } from '../shared/glue.ts';
import { deaggregate } from '../shared/kpl.ts';
import { GLUE, LAKE_DELIVERY, PREFIXES } from '../shared/resources.ts';
import { BUILTIN_UNITS, type UnitRegistry } from '../shared/units.ts';
import { convertRecord } from './convert.ts';
import { ShardLedger, type LedgerEntry } from './ledger.ts';
import type { ParquetWriter } from './parquet.ts';

export interface BufferingHints {
  /** Write a partition's buffer once its readings' JSON reaches this many bytes. */
  readonly sizeBytes: number;
  /** … or once its first reading has waited this long. */
  readonly intervalMs: number;
}

/** A record as read from a shard. */
export interface SourceRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly arrival: Date;
}

/** Where objects go: S3 on both targets, through the injected client. */
export interface ObjectSink {
  put(key: string, body: Buffer, contentType: string): Promise<void>;
}

/** Firehose's error output types (the `!{firehose:error-output-type}` prefix). */
export const ERROR_OUTPUT_TYPES = {
  conversion: 'format-conversion-failed',
  processing: 'processing-failed',
} as const;

export const DEAGGREGATION_ERROR = 'KplDeaggregation.Failed';

/** One line of an error object: Firehose's error record, plus the shard it came from. */
export interface ErrorRecord {
  readonly attemptsMade: number;
  readonly arrivalTimestamp: number;
  readonly lastErrorCode: string;
  readonly lastErrorMessage: string;
  readonly attemptEndingTimestamp: number;
  /** The user record (or the whole Kinesis record when it could not be de-aggregated), base64. */
  readonly rawData: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number | null;
  readonly partitionKey: string;
  readonly dataCatalogTable: { readonly databaseName: string; readonly tableName: string };
}

export interface WrittenObject {
  readonly key: string;
  readonly kind: 'readings' | 'errors';
  readonly rows: number;
  readonly bytes: number;
}

export interface Commit {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Records this commit moved past. */
  readonly records: number;
}

export interface FlushOutcome {
  readonly objects: readonly WrittenObject[];
  readonly commits: readonly Commit[];
  /** Buffers that could not be written: kept, and tried again by the next flush. */
  readonly failures: readonly Error[];
}

export interface AcceptOutcome {
  readonly records: number;
  readonly readings: number;
  readonly errors: number;
}

interface BufferBase {
  readonly key: string;
  bytes: number;
  openedAt: number;
  readonly refs: Set<LedgerEntry>;
}
interface ReadingsBuffer extends BufferBase {
  readonly kind: 'readings';
  readonly rows: Map<string, ReadingEvent>;
}
interface ErrorBuffer extends BufferBase {
  readonly kind: 'errors';
  readonly lines: string[];
}
type PartitionBuffer = ReadingsBuffer | ErrorBuffer;

export interface LakeDeliveryOptions {
  readonly writer: ParquetWriter;
  readonly sink: ObjectSink;
  readonly buffering: BufferingHints;
  readonly now?: () => number;
}

export interface DeliveryStats {
  records: number;
  readings: number;
  /** Readings dropped inside a buffer because the buffer already held their event. */
  duplicates_in_buffer: number;
  errors: number;
  objects: number;
  rows_written: number;
  error_objects: number;
}

export class LakeDelivery {
  private readonly buffers = new Map<string, PartitionBuffer>();
  private readonly ledgers = new Map<string, ShardLedger>();
  private readonly now: () => number;
  private flushing: Promise<unknown> = Promise.resolve();
  readonly stats: DeliveryStats = {
    records: 0,
    readings: 0,
    duplicates_in_buffer: 0,
    errors: 0,
    objects: 0,
    rows_written: 0,
    error_objects: 0,
  };

  constructor(private readonly options: LakeDeliveryOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Takes records read from one shard, in read order. `units`: the units a reading may
   * carry (built-in plus the mappings' declared ones), resolved by the caller per page.
   */
  accept(shardId: string, records: readonly SourceRecord[], units: UnitRegistry = BUILTIN_UNITS): AcceptOutcome {
    const ledger = this.ledger(shardId);
    let readings = 0;
    let errors = 0;
    for (const record of records) {
      const entry = ledger.add(record.sequenceNumber);
      let users;
      try {
        users = deaggregate({
          data: Buffer.from(record.data),
          partitionKey: record.partitionKey,
          sequenceNumber: record.sequenceNumber,
        });
      } catch (err) {
        this.addError(
          entry,
          ERROR_OUTPUT_TYPES.processing,
          DEAGGREGATION_ERROR,
          (err as Error).message,
          record,
          record.data,
          null,
        );
        errors++;
        continue;
      }
      for (const user of users) {
        const converted = convertRecord(user.data, units);
        if (converted.ok) {
          this.addReading(entry, converted.event, converted.partition, user.data.byteLength);
          readings++;
        } else {
          this.addError(
            entry,
            ERROR_OUTPUT_TYPES.conversion,
            converted.errorCode,
            converted.message,
            record,
            user.data,
            user.subSequenceNumber,
          );
          errors++;
        }
      }
    }
    this.stats.records += records.length;
    this.stats.readings += readings;
    this.stats.errors += errors;
    return { records: records.length, readings, errors };
  }

  /** Whether some buffer is full or old enough to write. */
  hasDue(now = this.now()): boolean {
    for (const b of this.buffers.values()) if (this.isDue(b, now)) return true;
    return false;
  }

  /** Writes the buffers that are full or old enough. */
  flushDue(): Promise<FlushOutcome> {
    return this.serialised(() => this.write((b, now) => this.isDue(b, now)));
  }

  /** Writes every buffer (shutdown, `flush`). */
  flushAll(): Promise<FlushOutcome> {
    return this.serialised(() => this.write(() => true));
  }

  /** Bytes of readings and errors held in buffers. */
  get bufferedBytes(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.bytes;
    return n;
  }

  get bufferCount(): number {
    return this.buffers.size;
  }

  /** Records read on a shard and not yet safe to checkpoint. */
  outstanding(shardId: string): number {
    return this.ledgers.get(shardId)?.outstanding ?? 0;
  }

  private ledger(shardId: string): ShardLedger {
    let l = this.ledgers.get(shardId);
    if (!l) this.ledgers.set(shardId, (l = new ShardLedger(shardId)));
    return l;
  }

  private isDue(b: PartitionBuffer, now: number): boolean {
    return b.bytes >= this.options.buffering.sizeBytes || now - b.openedAt >= this.options.buffering.intervalMs;
  }

  private addReading(entry: LedgerEntry, event: ReadingEvent, partition: PartitionValues, bytes: number): void {
    const key = partitionPrefix(partition);
    let b = this.buffers.get(key);
    if (!b)
      this.buffers.set(
        key,
        (b = { kind: 'readings', key, rows: new Map(), bytes: 0, openedAt: this.now(), refs: new Set() }),
      );
    if (b.kind !== 'readings') throw new Error(`buffer ${key} holds errors, not readings`);
    keepWinner(b.rows, event, this.stats);
    b.bytes += bytes;
    ref(b, entry);
  }

  private addError(
    entry: LedgerEntry,
    type: string,
    code: string,
    message: string,
    record: SourceRecord,
    raw: Uint8Array,
    subSequenceNumber: number | null,
  ): void {
    const arrival = record.arrival.toISOString();
    const key = `${PREFIXES.processedErrors}${type}/y=${arrival.slice(0, 4)}/m=${arrival.slice(5, 7)}/d=${arrival.slice(8, 10)}/`;
    let b = this.buffers.get(key);
    if (!b)
      this.buffers.set(key, (b = { kind: 'errors', key, lines: [], bytes: 0, openedAt: this.now(), refs: new Set() }));
    if (b.kind !== 'errors') throw new Error(`buffer ${key} holds readings, not errors`);
    const line: ErrorRecord = {
      attemptsMade: 1,
      arrivalTimestamp: record.arrival.getTime(),
      lastErrorCode: code,
      lastErrorMessage: message,
      attemptEndingTimestamp: this.now(),
      rawData: Buffer.from(raw).toString('base64'),
      shardId: entry.shardId,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber,
      partitionKey: record.partitionKey,
      dataCatalogTable: { databaseName: GLUE.databaseName, tableName: GLUE.tableName },
    };
    const text = JSON.stringify(line);
    b.lines.push(text);
    b.bytes += text.length;
    ref(b, entry);
  }

  private async write(select: (b: PartitionBuffer, now: number) => boolean): Promise<FlushOutcome> {
    const now = this.now();
    const chosen = [...this.buffers.values()].filter((b) => select(b, now));
    for (const b of chosen) this.buffers.delete(b.key);
    const objects: WrittenObject[] = [];
    const failures: Error[] = [];
    for (const b of chosen) {
      const key = `${b.key}${objectName(now)}${b.kind === 'readings' ? FIREHOSE_CONVERSION.fileExtension : ''}`;
      try {
        const rows = b.kind === 'readings' ? b.rows.size : b.lines.length;
        const body =
          b.kind === 'readings'
            ? await this.options.writer.write([...b.rows.values()])
            : Buffer.from(`${b.lines.join('\n')}\n`);
        await this.options.sink.put(
          key,
          body,
          b.kind === 'readings' ? 'application/vnd.apache.parquet' : 'application/x-ndjson',
        );
        for (const entry of b.refs) entry.pending--;
        objects.push({ key, kind: b.kind, rows, bytes: body.length });
        if (b.kind === 'readings') {
          this.stats.objects++;
          this.stats.rows_written += rows;
        } else this.stats.error_objects++;
      } catch (err) {
        this.restore(b);
        failures.push(err as Error);
      }
    }
    const commits: Commit[] = [];
    for (const ledger of this.ledgers.values()) {
      const moved = ledger.advance();
      if (moved) commits.push({ shardId: ledger.shardId, ...moved });
    }
    return { objects, commits, failures };
  }

  /** Puts a buffer that could not be written back, merged with any opened since. */
  private restore(b: PartitionBuffer): void {
    const current = this.buffers.get(b.key);
    if (!current) {
      this.buffers.set(b.key, b);
      return;
    }
    if (current.kind === 'readings' && b.kind === 'readings') {
      for (const row of b.rows.values()) keepWinner(current.rows, row, this.stats);
    } else if (current.kind === 'errors' && b.kind === 'errors') {
      current.lines.unshift(...b.lines);
    }
    current.bytes += b.bytes;
    current.openedAt = Math.min(current.openedAt, b.openedAt);
    for (const entry of b.refs) {
      // the entry is counted once per buffer holding it; two merged buffers are one
      if (current.refs.has(entry)) entry.pending--;
      else current.refs.add(entry);
    }
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.flushing.then(fn, fn);
    this.flushing = run.catch(() => undefined);
    return run;
  }
}

function ref(b: PartitionBuffer, entry: LedgerEntry): void {
  if (b.refs.has(entry)) return;
  b.refs.add(entry);
  entry.pending++;
}

function keepWinner(rows: Map<string, ReadingEvent>, event: ReadingEvent, stats: DeliveryStats): void {
  const held = rows.get(event.event_id);
  if (held) {
    stats.duplicates_in_buffer++;
    if (compareEmission(event, held) <= 0) return;
  }
  rows.set(event.event_id, event);
}

/** Firehose's object naming: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<random>`. */
function objectName(now: number): string {
  const stamp = new Date(now).toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return `${LAKE_DELIVERY.deliveryStreamName}-1-${stamp}-${randomUUID()}`;
}
