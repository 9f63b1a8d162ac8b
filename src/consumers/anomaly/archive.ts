/**
 * The alert lake: every notification, as it is published, also becomes one JSON object
 * under `processed/alerts/` (`alertObjectKey`), the rows of the `alerts` table that the
 * performance summaries count from — Athena cannot read the alerts table in DynamoDB.
 * The key is the notification's id, so writing it again (a retry, the outbox sweeper, a
 * rebuild) replaces it with the same row: the lake never counts one twice.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ALERTS_COLUMNS, alertObjectKey } from '../../shared/glue.ts';
import type { NotificationRecord } from './alerts.ts';

export interface AlertArchive {
  /** Resolves once the notification's row is stored. */
  put(n: NotificationRecord): Promise<void>;
}

/** The notification as one line of the `alerts` table: every column, absent ones null. */
export function alertRowOf(n: NotificationRecord): string {
  const row = n as unknown as Record<string, unknown>;
  return `${JSON.stringify(Object.fromEntries(ALERTS_COLUMNS.map((c) => [c.name, row[c.name] ?? null])))}\n`;
}

export class S3AlertArchive implements AlertArchive {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(n: NotificationRecord): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: alertObjectKey(n),
        Body: alertRowOf(n),
        ContentType: 'application/x-ndjson',
      }),
    );
  }
}
