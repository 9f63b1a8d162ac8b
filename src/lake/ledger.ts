/**
 * Which stream positions are safe to checkpoint. A Kinesis record's readings may sit
 * in several partition buffers (an aggregated record can span days), and buffers are
 * written independently; a shard's checkpoint may only move past a record once every
 * buffer holding part of it is in the object store — and every earlier record's too.
 *
 * Per shard, records are kept in read order with a count of the buffers still holding
 * them; the checkpoint is the last record of the fully written prefix.
 */
export interface LedgerEntry {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Buffers still holding some of this record's readings. */
  pending: number;
}

export class ShardLedger {
  private readonly queue: LedgerEntry[] = [];
  private head = 0;
  private committed: string | undefined;

  constructor(readonly shardId: string) {}

  /** A record just read (records must be added in read order). */
  add(sequenceNumber: string): LedgerEntry {
    const entry: LedgerEntry = { shardId: this.shardId, sequenceNumber, pending: 0 };
    this.queue.push(entry);
    return entry;
  }

  /** Moves past every leading record no buffer holds; returns the new checkpoint if it moved. */
  advance(): { sequenceNumber: string; records: number } | undefined {
    let moved = 0;
    while (this.head < this.queue.length && (this.queue[this.head] as LedgerEntry).pending === 0) {
      this.committed = (this.queue[this.head] as LedgerEntry).sequenceNumber;
      this.head++;
      moved++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (moved === 0 || this.committed === undefined) return undefined;
    return { sequenceNumber: this.committed, records: moved };
  }

  /** Records read but not yet safe to checkpoint. */
  get outstanding(): number {
    return this.queue.length - this.head;
  }

  get checkpoint(): string | undefined {
    return this.committed;
  }
}
