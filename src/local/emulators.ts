/**
 * Starts the three AWS-protocol emulators in this process, on 127.0.0.1 and free
 * ports, persisting under the data dir. Normally run inside the emulator host
 * child process (`emulator-host.ts`) so they get their own event loop.
 */
// first: kinesalite must load its GetRecords action with the local byte cap in place
import './kinesalite-get-records-cap.ts';
// and dynalite's reads must close their LevelDB iterators
import './dynalite-iterator-close.ts';
// and both emulators' databases keep a bounded number of tables open (and mapped)
import './leveldb-open-limits.ts';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import type { S3Event } from 'aws-lambda';
import type { LocalEndpoints } from '../shared/clients.ts';
import { LOCAL_REGION } from '../shared/resources.ts';
import { encodeS3EventKey } from '../shared/s3-keys.ts';
import { dataPaths } from './data-dir.ts';

export interface RunningEmulators {
  readonly endpoints: LocalEndpoints;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startEmulators(dataDir: string, onS3Event: (event: S3Event) => void): Promise<RunningEmulators> {
  const paths = dataPaths(dataDir);
  await Promise.all([paths.s3, paths.kinesis, paths.dynamodb].map((p) => mkdir(p, { recursive: true })));

  const kinesis = kinesalite({
    path: paths.kinesis,
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 64,
  });
  const dynamodb = dynalite({ path: paths.dynamodb, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const s3 = new S3rver({ address: HOST, port: 0, directory: paths.s3, silent: true });
  s3.on('event', (event: S3Event) => onS3Event(asAwsS3Event(event)));

  const [kinesisPort, dynamodbPort, s3Address] = await Promise.all([listen(kinesis), listen(dynamodb), s3.run()]);
  return {
    endpoints: {
      s3: `http://${HOST}:${s3Address.port}`,
      kinesis: `http://${HOST}:${kinesisPort}`,
      dynamodb: `http://${HOST}:${dynamodbPort}`,
    },
    async close() {
      await Promise.all([close(kinesis), close(dynamodb), s3.close()]);
    },
  };
}

/**
 * s3rver's events carry the key as stored; S3 URL-encodes keys in notifications
 * (`y=2025` arrives as `y%3D2025`, a space as `+`). Encoding here means the handler's
 * decoding is exercised locally exactly as on AWS.
 */
export function asAwsS3Event(event: S3Event): S3Event {
  return {
    Records: event.Records.map((r) => ({
      ...r,
      awsRegion: LOCAL_REGION,
      s3: { ...r.s3, object: { ...r.s3.object, key: encodeS3EventKey(r.s3.object.key) } },
    })),
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
