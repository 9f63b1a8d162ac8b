/**
 * A lease by conditional write: two runs never work on one thing at once. DynamoDB
 * (dynalite on the embedded target) rather than an S3 conditional PUT (`If-None-Match`):
 * s3rver does not implement conditional writes, and a DynamoDB condition can also take
 * over a lease whose holder died (`expires_at` passed), which `If-None-Match` cannot.
 *
 * The lease outlives any holder that is still running (its duration is longer than the
 * compaction function's timeout, checked by a test), so an expired lease means a dead
 * holder, never a slow one.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../shared/resources.ts';

export interface LeaseHolder {
  readonly owner: string;
  readonly expiresAt: number;
}

export interface LeaseStore {
  /** Takes the lease unless a live holder has it; the holder it found otherwise. */
  acquire(
    id: string,
    owner: string,
    nowMs: number,
    durationMs: number,
  ): Promise<{ ok: true } | { ok: false; holder?: LeaseHolder | undefined }>;
  /** Gives it back if still ours (a lease taken over after expiry is left to its new holder). */
  release(id: string, owner: string): Promise<void>;
}

const TABLE = TABLES.leases;

export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.tableName,
  ) {}

  async acquire(id: string, owner: string, nowMs: number, durationMs: number) {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          // expires_at is epoch seconds (the table's TTL attribute); a dead holder's lease lapses on its own
          Item: {
            [TABLE.partitionKey.name]: id,
            owner,
            expires_at: Math.ceil((nowMs + durationMs) / 1000),
            taken_at: new Date(nowMs).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(#id) OR expires_at < :now',
          ExpressionAttributeNames: { '#id': TABLE.partitionKey.name },
          ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
        }),
      );
      return { ok: true } as const;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const held = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey.name]: id }, ConsistentRead: true }),
      );
      const item = held.Item as { owner?: string; expires_at?: number } | undefined;
      return {
        ok: false,
        holder: item?.owner ? { owner: item.owner, expiresAt: (item.expires_at ?? 0) * 1000 } : undefined,
      } as const;
    }
  }

  async release(id: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey.name]: id },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}
