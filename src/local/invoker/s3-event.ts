/**
 * The ObjectCreated notification S3 would send for an object that exists: made up
 * locally when an object is found without one (a start-up scan) or handed back from
 * the DLQ. One builder for every S3-invoked function.
 */
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { encodeS3EventKey } from '../../shared/s3-keys.ts';

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string | undefined;
  readonly size?: number | undefined;
}

/** `why` names who made the record up (`reconcile`, `dlq-redrive`): it shows in the record's ids. */
export function objectCreatedRecord(o: ObjectRef, why: string, region = ''): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: `dubegrid-${why}` },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': why, 'x-amz-id-2': why },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: why,
      bucket: { name: o.bucket, ownerIdentity: { principalId: 'dubegrid' }, arn: `arn:aws:s3:::${o.bucket}` },
      object: { key: encodeS3EventKey(o.key), size: o.size ?? 0, eTag: o.etag ?? '', sequencer: '0' },
    },
  };
}

/** One object per event, as S3 sends them. */
export function objectCreatedEvent(o: ObjectRef, why: string, region = ''): S3Event {
  return { Records: [objectCreatedRecord(o, why, region)] };
}
