/**
 * Quarantine entries → `quarantine/<source key>.jsonl`, streamed: entries are buffered
 * up to one part, then uploaded as parts of a multipart upload, so a file whose every
 * row is rejected (an unknown format, say) never sits in memory. A split with no
 * entries removes a quarantine object left by an earlier version of the same key.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { QuarantineEntry } from '../../shared/quarantine.ts';
import type { QuarantineSink } from './core.ts';
import { QUARANTINE_PART_BYTES } from './limits.ts';

const CONTENT_TYPE = 'application/x-ndjson';

export class S3QuarantineWriter implements QuarantineSink {
  private lines: string[] = [];
  private bufferedBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: { PartNumber: number; ETag: string }[] = [];
  private uploading: Promise<void> | undefined;
  private failure: Error | undefined;
  entries = 0;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly key: string,
    private readonly partBytes = QUARANTINE_PART_BYTES,
  ) {}

  add(entry: QuarantineEntry): void {
    const line = `${JSON.stringify(entry)}\n`;
    this.lines.push(line);
    this.bufferedBytes += Buffer.byteLength(line);
    this.entries++;
    if (this.bufferedBytes >= this.partBytes && !this.uploading) this.startPart();
  }

  get needsDrain(): boolean {
    return this.failure !== undefined || this.bufferedBytes >= 2 * this.partBytes;
  }

  async drain(): Promise<void> {
    while (!this.failure && this.bufferedBytes >= this.partBytes) {
      if (!this.uploading) this.startPart();
      await this.uploading;
    }
    if (this.failure) throw this.failure;
  }

  /** Writes what is left; resolves with the key written, or null when there were no entries. */
  async close(): Promise<string | null> {
    await this.uploading;
    if (this.failure) throw this.failure;
    if (this.uploadId === undefined) {
      if (this.entries === 0) {
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }));
        return null;
      }
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: this.takeBuffer(),
          ContentType: CONTENT_TYPE,
        }),
      );
      return this.key;
    }
    if (this.bufferedBytes > 0) await this.uploadPart(this.takeBuffer());
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
    return this.key;
  }

  /** Gives up a multipart upload after a failed split (best effort). */
  async abort(): Promise<void> {
    await this.uploading?.catch(() => undefined);
    if (this.uploadId) {
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }))
        .catch(() => undefined);
    }
  }

  private startPart(): void {
    const body = this.takeBuffer();
    this.uploading = this.uploadPart(body)
      .catch((err: Error) => {
        this.failure = err;
      })
      .finally(() => {
        this.uploading = undefined;
      });
  }

  private async uploadPart(body: Buffer): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.s3.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: CONTENT_TYPE }),
      );
      this.uploadId = created.UploadId;
    }
    const PartNumber = this.parts.length + 1;
    const part = await this.s3.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body }),
    );
    this.parts.push({ PartNumber, ETag: part.ETag ?? '' });
  }

  private takeBuffer(): Buffer {
    const body = Buffer.from(this.lines.join(''));
    this.lines = [];
    this.bufferedBytes = 0;
    return body;
  }
}
