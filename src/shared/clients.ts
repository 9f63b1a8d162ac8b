/**
 * Builds AWS SDK v3 clients for a target. Nothing in DubeGrid constructs a client
 * anywhere else: handlers and cores take the clients they need as parameters, and
 * only the places that assemble an application (Lambda module scope, the embedded
 * runtime, the CLI) call this factory.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ENV } from './functions.ts';
import { readSettings } from './settings.ts';
import { Agent } from 'node:http';
import { LOCAL_NAMES, LOCAL_REGION, resourceNames, type ResourceNames } from './resources.ts';

export interface LocalEndpoints {
  readonly s3: string;
  readonly kinesis: string;
  readonly dynamodb: string;
}

export type TargetConfig =
  | { readonly target: 'local'; readonly endpoints: LocalEndpoints }
  | { readonly target: 'aws'; readonly region?: string | undefined; readonly account?: string };

export interface Clients {
  readonly target: TargetConfig['target'];
  readonly region: string;
  readonly names: ResourceNames;
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly athena: AthenaClient;
  readonly sqs: SQSClient;
  destroy(): void;
}

/** s3rver only accepts its own fixed key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
/** kinesalite and dynalite accept any credentials; these make it obvious they are fake. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Local emulators are on loopback: keep sockets open, and enough of them for parallel shards. */
function localHandler(): NodeHttpHandler {
  return new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) });
}

/** Retries of the Kinesis client on AWS (see `assemble`). */
export const AWS_KINESIS_RETRY = { maxAttempts: 10, retryMode: 'adaptive' } as const;

export function createClients(config: TargetConfig): Clients {
  if (config.target === 'local') return createLocalClients(config.endpoints);
  const region = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(
      '--target aws needs a region: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your AWS profile)',
    );
  }
  const account = config.account ?? readSettings().awsAccount;
  if (!account) {
    throw new Error(`--target aws needs the account id of the deployment: set ${ENV.awsAccount}`);
  }
  const maxAttempts = readSettings().maxAttempts;
  return assemble('aws', region, resourceNames(account, region), {
    region,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
}

function createLocalClients(endpoints: LocalEndpoints): Clients {
  const base = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: readSettings().maxAttempts ?? 3 };
  const s3 = new S3Client({
    ...base,
    endpoint: endpoints.s3,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestHandler: localHandler(),
    // s3rver predates the SDK's default integrity checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // kinesalite speaks HTTP/1.1 only; the Kinesis client otherwise tries HTTP/2.
  const kinesis = new KinesisClient({ ...base, endpoint: endpoints.kinesis, requestHandler: localHandler() });
  const dynamodb = new DynamoDBClient({ ...base, endpoint: endpoints.dynamodb, requestHandler: localHandler() });
  return build('local', LOCAL_REGION, LOCAL_NAMES, { s3, kinesis, dynamodb }, base);
}

function assemble(target: 'aws', region: string, names: ResourceNames, base: { region: string }): Clients {
  return build(
    target,
    region,
    names,
    {
      s3: new S3Client(base),
      // A replay reads every shard as fast as it can, beside the event source mappings and
      // Firehose (5 reads a second a shard between them): throttling is expected, so retry
      // it more than the default 3 times, and let the adaptive mode slow the reader down.
      kinesis: new KinesisClient({ ...base, ...AWS_KINESIS_RETRY }),
      dynamodb: new DynamoDBClient(base),
    },
    base,
  );
}

function build(
  target: 'local' | 'aws',
  region: string,
  names: ResourceNames,
  core: { s3: S3Client; kinesis: KinesisClient; dynamodb: DynamoDBClient },
  base: object,
): Clients {
  const doc = DynamoDBDocumentClient.from(core.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  // Services with no embedded emulator are only built on demand, so a local target
  // never holds a client that would reach for AWS.
  let sns: SNSClient | undefined;
  let athena: AthenaClient | undefined;
  let sqs: SQSClient | undefined;
  return {
    target,
    region,
    names,
    ...core,
    doc,
    get sns() {
      return (sns ??= new SNSClient(base));
    },
    get athena() {
      return (athena ??= new AthenaClient(base));
    },
    get sqs() {
      return (sqs ??= new SQSClient(base));
    },
    destroy() {
      for (const c of [core.s3, core.kinesis, core.dynamodb, sns, athena, sqs]) c?.destroy();
    },
  };
}
