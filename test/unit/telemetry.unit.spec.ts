/**
 * The Lambda entries' telemetry on real Powertools: what reaches CloudWatch is the
 * JSON that Powertools writes, so the test reads those lines. `POWERTOOLS_DEV` makes
 * Powertools write through the global console, where the test can see it.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE } from '../../src/shared/functions.ts';
import { countKinesisBatch, lambdaTelemetry, METRIC } from '../../src/shared/telemetry.ts';

const context = {
  awsRequestId: 'req-1',
  functionName: 'dubegrid-splitter',
  functionVersion: '$LATEST',
  memoryLimitInMB: '1024',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-2:1:function:f',
} as Context;

type Emf = Record<string, unknown> & {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
};

let lines: { stream: string; json: Record<string, unknown> }[];

beforeEach(() => {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false'); // dev mode would otherwise switch metrics off
  lines = [];
  for (const stream of ['log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, stream).mockImplementation((text: unknown) => {
      lines.push({ stream, json: JSON.parse(String(text)) as Record<string, unknown> });
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const emfLines = (): Emf[] => lines.map((l) => l.json).filter((j): j is Emf => '_aws' in j);

describe('lambdaTelemetry', () => {
  it('publishes one EMF line per invocation with the counts summed, in the DubeGrid namespace, by service', async () => {
    const t = lambdaTelemetry('splitter');
    const entry = t.instrument(async (n: number) => {
      for (let i = 0; i < n; i++) t.metrics.add(METRIC.rowsRead, 10);
      t.metrics.add(METRIC.objectsSplit, n);
      t.log.info(`split ${n}`);
      return n;
    });
    await expect(entry(3, context)).resolves.toBe(3);
    await entry(1, context);

    const [first, second] = emfLines();
    expect(emfLines()).toHaveLength(2);
    expect(first).toMatchObject({ service: 'splitter', RowsRead: 30, ObjectsSplit: 3 });
    expect(second).toMatchObject({ RowsRead: 10, ObjectsSplit: 1 }); // the sums start again each invocation
    const directive = first!._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive.Dimensions).toEqual([['service']]);
    expect(directive.Metrics).toEqual(expect.arrayContaining([{ Name: 'RowsRead', Unit: 'Count' }]));

    const log = lines.find((l) => l.json.message === 'split 3')?.json;
    expect(log).toMatchObject({
      level: 'INFO',
      service: 'splitter',
      function_request_id: 'req-1',
      function_name: 'dubegrid-splitter',
    });
  });

  it('still publishes what was counted when the invocation throws, logs the error and rethrows it', async () => {
    const t = lambdaTelemetry('registry');
    const entry = t.instrument(async () => {
      t.metrics.add(METRIC.assetFilesFailed, 1);
      throw new Error('bucket gone');
    });
    await expect(entry(undefined, context)).rejects.toThrow('bucket gone');
    expect(emfLines()).toEqual([expect.objectContaining({ service: 'registry', AssetFilesFailed: 1 })]);
    expect(lines.find((l) => l.stream === 'error')?.json).toMatchObject({
      level: 'ERROR',
      message: 'invocation failed',
      error: expect.objectContaining({ message: 'bucket gone' }),
    });
  });

  it('writes no metrics line for an invocation that counted nothing', async () => {
    const t = lambdaTelemetry('outbox');
    await t.instrument(async () => 0)(undefined);
    expect(emfLines()).toEqual([]);
    expect(lines.filter((l) => l.stream === 'warn')).toEqual([]); // not Powertools' "no metrics to publish" warning either
  });

  it('counts a Kinesis batch as records, readings, quarantined readings and failed records', async () => {
    const t = lambdaTelemetry('state');
    await t.instrument(async () =>
      countKinesisBatch(t.metrics, { records: 4, readings: 900, quarantined: 2, failed: 1 }),
    )(undefined);
    expect(emfLines()[0]).toMatchObject({
      RecordsReceived: 4,
      Readings: 900,
      ReadingsQuarantined: 2,
      RecordsFailed: 1,
    });
  });
});
