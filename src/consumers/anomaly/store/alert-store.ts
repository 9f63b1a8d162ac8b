/**
 * The `alerts` table: incidents and notifications. Each notification is its own
 * outbox item: stored once by a conditional put with `published_at` unset (and the
 * sparse `outbox` attribute set), published, then marked. No transactions: a crash
 * between the steps leaves an item the next attempt or the sweeper completes.
 *
 * Keys: `asset_id` + `sk`; `incident#<opened_at>#<rule>#<subject>` and
 * `notification#<ts>#<notification_id>`, so one asset's incidents come out in time
 * order; the `by_day` index does the same across assets, day by day.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../../shared/resources.ts';
import { alertMessageOf, incidentOf, type IncidentRecord, type NotificationRecord } from '../alerts.ts';
import { StoreError } from '../errors.ts';
import type { AlertAttributes } from '../publisher.ts';
import type { RuleId, Severity } from '../rules/types.ts';

export const ALERT_SK = {
  incidentPrefix: 'incident#',
  notificationPrefix: 'notification#',
  incident: (openedAt: string, rule: string, subject: string) => `incident#${openedAt}#${rule}#${subject}`,
  notification: (ts: string, id: string) => `notification#${ts}#${id}`,
} as const;

const [BY_DAY, OUTBOX, BY_STORED] = TABLES.alerts.globalIndexes.map((i) => i.indexName) as [string, string, string];
/** Value of the sparse `outbox` attribute while a notification waits to be published. */
const PENDING = 'pending';
/** `--since` spans up to this many days are read day by day from the index; longer ones scan. */
const MAX_DAYS_BY_INDEX = 62;

/** A notification as stored: the record plus the message to publish. */
export interface StoredNotification extends NotificationRecord {
  readonly sk: string;
  readonly subject: string;
  readonly message: string;
  readonly attributes: AlertAttributes;
  readonly stored_at: string;
  readonly published_at?: string;
}

export interface IncidentFilter {
  /** Incidents opened at or after this canonical time. */
  readonly since?: string;
  readonly severity?: Severity;
  readonly rule?: RuleId;
  readonly asset?: string;
}

export class AlertStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string = TABLES.alerts.tableName,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records one transition: the incident first (idempotently), then the notification
   * by a conditional put. Returns the notification when this call stored it, undefined
   * when it was stored before (a retry or a replay).
   */
  async record(n: NotificationRecord, subject: string): Promise<StoredNotification | undefined> {
    await this.recordIncident(n, subject);
    const message = alertMessageOf(n);
    const storedAt = this.now().toISOString();
    const item: StoredNotification & Record<string, unknown> = {
      ...n,
      sk: ALERT_SK.notification(n.ts, n.notification_id),
      subject: message.subject,
      message: message.body,
      attributes: message.attributes,
      stored_at: storedAt,
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...item,
            type: 'notification',
            day: n.ts.slice(0, 10),
            outbox: PENDING,
            stored_day: storedAt.slice(0, 10),
            stored_sk: `${storedAt}#${n.notification_id}`,
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return item;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw new StoreError(`storing notification ${n.notification_id} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async recordIncident(n: NotificationRecord, subject: string): Promise<void> {
    const Key = { asset_id: n.asset_id, sk: ALERT_SK.incident(n.opened_at, n.rule, subject) };
    try {
      if (n.kind === 'open') {
        const incident: IncidentRecord = incidentOf(n);
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...Key, ...incident, type: 'incident', day: n.opened_at.slice(0, 10) },
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
      } else if (n.kind === 'escalate') {
        // The first escalation recorded stands; a retry writes the same values again.
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET #sev = :sev, escalated_at = :t, #val = :v, threshold = :th, #unit = :u, detail = :d',
            ConditionExpression: 'attribute_exists(sk) AND (attribute_not_exists(escalated_at) OR escalated_at = :t)',
            ExpressionAttributeNames: { '#sev': 'severity', '#val': 'value', '#unit': 'unit' },
            ExpressionAttributeValues: {
              ':sev': n.severity,
              ':t': n.ts,
              ':v': n.value,
              ':th': n.threshold,
              ':u': n.unit,
              ':d': n.detail,
            },
          }),
        );
      } else {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET #st = :closed, closed_at = :t, close_detail = :d',
            ConditionExpression: 'attribute_exists(sk) AND (attribute_not_exists(closed_at) OR closed_at = :t)',
            ExpressionAttributeNames: { '#st': 'status' },
            ExpressionAttributeValues: { ':closed': 'closed', ':t': n.ts, ':d': n.detail },
          }),
        );
      }
    } catch (err) {
      if (isConditionFailure(err)) return; // stored before, or recorded differently first: the first stands
      throw new StoreError(`recording incident ${n.alert_id} (${n.kind}) failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Marks a notification published: sets `published_at` and leaves the outbox index. */
  async markPublished(n: Pick<StoredNotification, 'asset_id' | 'sk'>, messageId: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { asset_id: n.asset_id, sk: n.sk },
          UpdateExpression: 'SET published_at = if_not_exists(published_at, :now), message_id = :mid REMOVE outbox',
          ConditionExpression: 'attribute_exists(sk)',
          ExpressionAttributeValues: { ':now': this.now().toISOString(), ':mid': messageId },
        }),
      );
    } catch (err) {
      throw new StoreError(`marking ${n.sk} published failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Notifications still unpublished that were stored before `storedBefore`, oldest reading first. */
  async pending(storedBefore: string): Promise<StoredNotification[]> {
    const items = await this.queryAll({
      IndexName: OUTBOX,
      KeyConditionExpression: 'outbox = :p',
      ExpressionAttributeValues: { ':p': PENDING },
    });
    return (items as unknown as StoredNotification[]).filter((n) => n.stored_at < storedBefore && !n.published_at);
  }

  /** Incidents matching the filter, by opening time. */
  async incidents(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    const lower = `${ALERT_SK.incidentPrefix}${filter.since ?? ''}`;
    const upper = `${ALERT_SK.incidentPrefix}\uffff`;
    let items: Record<string, unknown>[];
    if (filter.asset) {
      items = await this.queryAll({
        KeyConditionExpression: 'asset_id = :a AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':a': filter.asset, ':lo': lower, ':hi': upper },
      });
    } else if (
      filter.since &&
      filter.since <= this.tomorrow() &&
      daysBetween(filter.since, this.tomorrow()).length <= MAX_DAYS_BY_INDEX
    ) {
      items = [];
      for (const day of daysBetween(filter.since, this.tomorrow())) {
        items.push(
          ...(await this.queryAll({
            IndexName: BY_DAY,
            KeyConditionExpression: '#d = :d AND sk BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#d': 'day' },
            ExpressionAttributeValues: { ':d': day, ':lo': lower, ':hi': upper },
          })),
        );
      }
    } else {
      items = await this.scanAll('begins_with(sk, :p)', { ':p': ALERT_SK.incidentPrefix });
    }
    return (items as unknown as IncidentRecord[])
      .filter(
        (i) =>
          (!filter.since || i.opened_at >= filter.since) &&
          (!filter.severity || i.severity === filter.severity) &&
          (!filter.rule || i.rule === filter.rule),
      )
      .sort(
        (a, b) =>
          a.opened_at.localeCompare(b.opened_at) ||
          a.asset_id.localeCompare(b.asset_id) ||
          a.alert_id.localeCompare(b.alert_id),
      );
  }

  /** Readings a little ahead of this machine's clock (another zone's "today") still count as recent. */
  private tomorrow(): string {
    return new Date(this.now().getTime() + 86_400_000).toISOString();
  }

  /** Notifications stored on `day` (wall clock) after the cursor `stored_sk`, in storing order. */
  async storedAfter(day: string, cursor: string): Promise<StoredNotification[]> {
    const items = await this.queryAll({
      IndexName: BY_STORED,
      KeyConditionExpression: 'stored_day = :d AND stored_sk > :c',
      ExpressionAttributeValues: { ':d': day, ':c': cursor },
    });
    return items as unknown as StoredNotification[];
  }

  /** Every notification (for tests and the benchmark). */
  async notifications(): Promise<StoredNotification[]> {
    return (await this.scanAll('begins_with(sk, :p)', {
      ':p': ALERT_SK.notificationPrefix,
    })) as unknown as StoredNotification[];
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  private async scanAll(filter: string, values: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: filter,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
}

/** `YYYY-MM-DD` of every day from `from`'s to `to`'s, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to.slice(0, 10)}T00:00:00.000Z`);
  for (
    let d = Date.parse(`${from.slice(0, 10)}T00:00:00.000Z`);
    d <= end && days.length <= MAX_DAYS_BY_INDEX + 1;
    d += 86_400_000
  ) {
    days.push(new Date(d).toISOString().slice(0, 10));
  }
  return days;
}
