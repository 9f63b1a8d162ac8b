/** The object store the lake writes to: S3 (s3rver on the embedded target), through an injected client. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectSink } from './delivery.ts';

export function s3Sink(s3: S3Client, bucket: string): ObjectSink {
  return {
    async put(key, body, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
  };
}
