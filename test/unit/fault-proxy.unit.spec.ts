/**
 * The fault proxy's choice (`src/local/faults/plan.ts`) on scripted draws, and its
 * answers as the real SDK clients read them: each protocol's throttle and 500 must
 * become the exception a real one would, or the pipeline's retry paths are not the
 * ones exercised. The proxy's upstream is never reached by these faults.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import {
  chooseFault,
  faultPlanFromEnv,
  parseFaultPlan,
  FAULT_KINDS,
  type FaultKind,
} from '../../src/local/faults/plan.ts';
import { startFaultProxy } from '../../src/local/faults/proxy.ts';
import { isRetryableRequestError, isThrottle } from '../../src/shared/retry.ts';
import { S3RVER_CREDENTIALS } from '../../src/shared/clients.ts';

const draws = (...values: number[]) => {
  const queue = [...values];
  return () => {
    const v = queue.shift();
    if (v === undefined) throw new Error('more draws than scripted');
    return v;
  };
};

describe('fault plan', () => {
  it('reads DUBEGRID_FAULTS: a share, optionally kinds; unset is no proxy; a bad value names the variable', () => {
    expect(faultPlanFromEnv({})).toBeUndefined();
    expect(faultPlanFromEnv({ DUBEGRID_FAULTS: '0.05' })).toMatchObject({ rate: 0.05, kinds: [...FAULT_KINDS] });
    expect(parseFaultPlan('0.2:throttle,reset')).toMatchObject({ rate: 0.2, kinds: ['throttle', 'reset'] });
    expect(parseFaultPlan('0')).toMatchObject({ rate: 0 });
    expect(() => parseFaultPlan('1.5')).toThrow(/DUBEGRID_FAULTS: .*0 to 1, got "1.5"/);
    expect(() => parseFaultPlan('x')).toThrow(/DUBEGRID_FAULTS/);
    expect(() => parseFaultPlan('0.1:slow')).toThrow(/fault kinds are throttle, error, timeout, reset/);
  });

  it('faults a request when the first draw is below the share, and picks the kind evenly with the second', () => {
    const plan = parseFaultPlan('0.2');
    expect(chooseFault(plan, draws(0.2))).toBeUndefined();
    expect(chooseFault(plan, draws(0.9))).toBeUndefined();
    const picked = [0, 0.25, 0.5, 0.99].map((second) => chooseFault(plan, draws(0.19, second)));
    expect(picked).toEqual<FaultKind[]>(['throttle', 'error', 'timeout', 'reset']);
    expect(chooseFault(parseFaultPlan('0.2:reset'), draws(0.0, 0.7))).toBe('reset');
  });

  it('never faults at 0 and always at 1, and the share holds over many requests', () => {
    expect(chooseFault(parseFaultPlan('0'), draws())).toBeUndefined();
    expect(chooseFault(parseFaultPlan('1:error'), draws(0.999, 0.5))).toBe('error');
    // a fixed-seed LCG: the share is the plan's within sampling error
    let seed = 12345;
    const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const plan = parseFaultPlan('0.05');
    const n = 20_000;
    let faulted = 0;
    for (let i = 0; i < n; i++) if (chooseFault(plan, lcg) !== undefined) faulted++;
    expect(Math.abs(faulted / n - 0.05)).toBeLessThan(0.01);
  });
});

const handler = () => new NodeHttpHandler();
const base = { region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };

describe('fault proxy answers, as the SDK reads them', () => {
  async function errorThrough(kind: 'throttle' | 'error', call: (endpoint: string) => Promise<unknown>) {
    // the upstream is a closed port: these faults answer without reaching it
    const proxy = await startFaultProxy('http://127.0.0.1:9', parseFaultPlan(`1:${kind}`));
    try {
      return await call(proxy.url).then(
        () => undefined,
        (err: unknown) => err as Error & { $metadata?: { httpStatusCode?: number } },
      );
    } finally {
      await proxy.close();
    }
  }

  const clients = {
    kinesis: (endpoint: string) =>
      new KinesisClient({ ...base, endpoint, requestHandler: handler() }).send(new ListStreamsCommand({})),
    dynamodb: (endpoint: string) =>
      new DynamoDBClient({ ...base, endpoint, requestHandler: handler() }).send(new ListTablesCommand({})),
    s3: (endpoint: string) =>
      new S3Client({
        ...base,
        endpoint,
        forcePathStyle: true,
        credentials: S3RVER_CREDENTIALS,
        requestHandler: handler(),
      }).send(new ListBucketsCommand({})),
  };

  it.each([
    ['kinesis', /^ProvisionedThroughputExceededException$/, 'InternalFailure'],
    ['dynamodb', /^(ProvisionedThroughputExceededException|ThrottlingException)$/, 'InternalServerError'],
    ['s3', /^SlowDown$/, 'InternalError'],
  ] as const)(
    '%s: a throttle is the service’s throttling exception, an error a retryable 500',
    async (service, throttle, internal) => {
      const t = await errorThrough('throttle', clients[service]);
      expect(t?.name).toMatch(throttle);
      expect(isThrottle(t)).toBe(true);
      const e = await errorThrough('error', clients[service]);
      expect(e?.name).toBe(internal);
      expect(e?.$metadata?.httpStatusCode).toBe(500);
      expect(isRetryableRequestError(e)).toBe(true);
    },
  );

  it('a reset is applied upstream and the client gets no answer; a timeout drops the connection unanswered', async () => {
    const { createServer } = await import('node:http');
    let applied = 0;
    const upstream = createServer((_req, res) => {
      applied++;
      res.end('{}');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const port = (upstream.address() as { port: number }).port;
    try {
      for (const kind of ['reset', 'timeout'] as const) {
        const proxy = await startFaultProxy(`http://127.0.0.1:${port}`, { ...parseFaultPlan(`1:${kind}`), hangMs: 10 });
        const before = applied;
        const err = await clients.kinesis(proxy.url).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        await proxy.close();
        expect(err, kind).toBeDefined();
        expect(isRetryableRequestError(err), kind).toBe(true);
        expect(applied - before, kind).toBe(kind === 'reset' ? 1 : 0);
      }
    } finally {
      await new Promise((r) => upstream.close(r));
    }
  });
});

describe('ingest upload under a reset', () => {
  it('sends the whole file again when the first PutObject is applied and then reset (a read stream went out empty)', async () => {
    const { createServer } = await import('node:http');
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { uploadFile } = await import('../../src/producers/ingest/upload.ts');
    // a recording stand-in for S3: keeps each PUT's body, answers HEAD with a date
    const bodies: string[] = [];
    const upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'PUT') bodies.push(Buffer.concat(chunks).toString());
        res.writeHead(200, { etag: '"abc"', 'last-modified': new Date(0).toUTCString(), 'content-length': 0 });
        res.end();
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const port = (upstream.address() as { port: number }).port;
    // first request: faulted (0.0 < 1) as a reset; then every draw passes (0.99 >= 0.5)
    const script = [0.0, 0.99];
    const proxy = await startFaultProxy(
      `http://127.0.0.1:${port}`,
      parseFaultPlan('0.5:reset'),
      () => script.shift() ?? 0.99,
    );
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-upload-'));
    try {
      const file = join(dir, 'readings.csv');
      const text = 'a,b\n1,2\n'.repeat(1000);
      await writeFile(file, text);
      const s3 = new S3Client({
        ...base,
        maxAttempts: 3,
        endpoint: proxy.url,
        forcePathStyle: true,
        credentials: S3RVER_CREDENTIALS,
        requestHandler: handler(),
      });
      const up = await uploadFile(s3, 'bucket', 'raw/readings.csv', file, text.length);
      expect(up).toMatchObject({ etag: 'abc', bytes: text.length });
      // applied twice (the reset one, then the retry), and whole both times
      expect(bodies).toEqual([text, text]);
    } finally {
      await proxy.close();
      await new Promise((r) => upstream.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
