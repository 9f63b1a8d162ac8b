import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRun } from '../../src/consumers/anomaly/dry-run.ts';
import { createAnomalyHandler } from '../../src/consumers/anomaly/handler.ts';
import { resolveRulesConfig } from '../../src/consumers/anomaly/rules/config.ts';
import { RULE_IDS } from '../../src/consumers/anomaly/rules/types.ts';
import { parseLabels, scoreAlerts } from '../../src/consumers/anomaly/score.ts';
import { AlertStore } from '../../src/consumers/anomaly/store/alert-store.ts';
import { parseAssetsCsv } from '../../src/consumers/registry/assets-csv.ts';
import { assetInfoOf } from '../../src/consumers/anomaly/asset-info.ts';
import { generateLabelled, type LabelledGenerateSummary } from '../../src/generate/labelled.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { toKinesisEvent, type EventSource } from '../../src/shared/kinesis/invoke.ts';
import type { StreamRecord } from '../../src/shared/kinesis/shard-reader.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { anomalyService } from '../../src/local/services/anomaly.ts';
import { registryService, type RegistryService } from '../../src/local/services/registry.ts';
import { splitterServiceFactory } from '../../src/local/services/splitter.ts';
import type { SnsNotification } from '../../src/local/sns/notification.ts';
import { snsService, type SnsService } from '../../src/local/sns/service.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { silentLog } from '../../src/local/service.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { deaggregate } from '../../src/shared/kpl.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, PREFIXES, STREAM, TABLES } from '../../src/shared/resources.ts';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { putReadingEvents, readingEvent } from '../support/reading-events.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest } from './splitter.support.ts';

const stream = STREAM.streamName;

/** Everything on the stream so far, per shard. */
async function readStream(stack: EmbeddedStack): Promise<{ records: Map<string, StreamRecord[]> }> {
  const { kinesis } = stack.clients;
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const records = new Map<string, StreamRecord[]>();
  for (const s of shards) {
    const list: StreamRecord[] = [];
    let it = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    while (it) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        list.push({
          sequenceNumber: r.SequenceNumber as string,
          partitionKey: r.PartitionKey as string,
          data: r.Data as Uint8Array,
          arrival: r.ApproximateArrivalTimestamp ?? new Date(),
        });
      }
      if (!page.Records?.length) break;
      it = page.NextShardIterator;
    }
    records.set(s.ShardId as string, list);
  }
  return { records };
}

interface Webhook {
  readonly url: string;
  readonly received: Map<string, SnsNotification[]>;
  close(): Promise<void>;
}

async function webhook(): Promise<Webhook> {
  const received = new Map<string, SnsNotification[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.set(path, [...(received.get(path) ?? []), JSON.parse(body) as SnsNotification]);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise((r) => server.close(() => r())) };
}

describe('anomaly projection on the embedded stack', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack;
  let hook: Webhook;
  let generated: LabelledGenerateSummary;
  const bucket = () => stack.clients.names.bucket;

  const put = (key: string, body: Buffer | string) =>
    stack.clients.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));
  /** Uploads a raw file and waits until the anomaly consumer has read everything the splitter wrote for it. */
  const ingest = async (key: string, body: Buffer): Promise<void> => {
    await put(key, body);
    const manifest = await eventually(`the manifest of ${key}`, () => getManifest(stack.clients, key));
    await settle({ ...manifest.kinesis.shards });
  };
  /** Waits until the anomaly consumer is past these sequence numbers and the topic has delivered. */
  const settle = async (targets: Record<string, string>): Promise<void> => {
    await waitForConsumers(dataPaths(dir), ['anomaly'], targets, { timeoutMs: 60_000 });
    await stack.service<SnsService>('sns')?.topic.flush();
  };
  const received = (path: string) => hook.received.get(path) ?? [];
  const windows = async () =>
    (await scanAll<Record<string, unknown>>(stack.clients.doc, TABLES.windows.tableName)).sort((a, b) =>
      String(a.series_id).localeCompare(String(b.series_id)),
    );
  const stateOf = (items: Record<string, unknown>[]) => items.map(({ updated_at: _u, ...rest }) => rest);

  // What the tests build on, done once by whichever test asks first, so each test can also
  // run alone (`-t`): the registry loaded (the first test loads it through the CLI), and the
  // labelled file ingested (the second test's subject).
  let labelled: Promise<void> | undefined;
  const registryLoaded = async (): Promise<void> => {
    const registry = stack.service<RegistryService>('registry') as RegistryService;
    const loaded = async () => ((await registry.status?.()) as { files_loaded: number }).files_loaded >= 1;
    if (await loaded()) return;
    await put(`${PREFIXES.referenceAssets}assets.csv`, await readFile(generated.assets_file));
    await eventually('the registry to load assets.csv', loaded);
  };
  const labelledIngested = (): Promise<void> =>
    (labelled ??= (async () => {
      await registryLoaded();
      await ingest('raw/test/labelled.csv', await readFile(generated.files[0]!.path));
    })());

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    hook = await webhook();
    await writeFile(
      join(dir, 'subscriptions.json'),
      JSON.stringify({
        subscriptions: [
          { name: 'all', protocol: 'http', endpoint: `${hook.url}/all` },
          {
            name: 'critical',
            protocol: 'http',
            endpoint: `${hook.url}/critical`,
            filter_policy: { severity: ['critical'] },
          },
          {
            name: 'nothing',
            protocol: 'http',
            endpoint: `${hook.url}/nothing`,
            filter_policy: { rule: [{ prefix: 'no_such_rule' }], kind: ['open'] },
          },
          {
            name: 'sagging',
            protocol: 'http',
            endpoint: `${hook.url}/sagging`,
            filter_policy: { measurement: [{ suffix: '_voltage' }], value: [{ numeric: ['<', 200] }] },
          },
          { name: 'log', protocol: 'file', endpoint: 'alerts.jsonl' },
        ],
      }),
    );
    const out = join(dir, 'generated');
    await mkdir(out, { recursive: true });
    // One substation (a PV feeder and one without) for five days: one anomaly of every rule class.
    generated = await generateLabelled({ out, substations: 1, days: 5, seed: 4 });
    stack = await startStack({
      dataDir: dir,
      services: [snsService, registryService, anomalyService, splitterServiceFactory],
      log: silentLog,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await hook?.close();
    await cleanup();
  });

  it('loads assets.csv from reference/assets/ into the registry and lists it with `dubegrid assets`', async () => {
    // As the issue has it: `dubegrid ingest --prefix reference/assets/ assets.csv`, which waits for the loader.
    const ingested = await runCli([
      'ingest',
      '--prefix',
      PREFIXES.referenceAssets,
      generated.assets_file,
      '--wait',
      '--json',
      '--data-dir',
      dir,
    ]);
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({
      waited: true,
      registry_loaded: [`${PREFIXES.referenceAssets}assets.csv`],
    });
    const registry = stack.service<RegistryService>('registry') as RegistryService;
    await eventually(
      'the registry load',
      async () => ((await registry.status?.()) as { files_loaded: number }).files_loaded === 1,
    );
    const listed = await runCli(['assets', '--json', '--data-dir', dir]);
    expect(listed.code).toBe(0);
    const doc = JSON.parse(listed.stdout);
    expect(doc.count).toBe(generated.substations + generated.feeders);
    expect(doc.assets.filter((a: { kind: string }) => a.kind === 'substation')).toHaveLength(generated.substations);
  });

  it('raises the labelled alerts at a webhook on 127.0.0.1 with their attributes; a subscriber whose filter policy excludes them receives nothing', async () => {
    await labelledIngested();

    // What the rules core says the consumer should have raised, from the very events on the stream.
    const { records } = await readStream(stack);
    const events: ReadingEvent[] = [];
    for (const list of records.values())
      for (const r of list)
        for (const u of deaggregate({
          data: Buffer.from(r.data),
          partitionKey: r.partitionKey,
          sequenceNumber: r.sequenceNumber,
        }))
          events.push(JSON.parse(u.data.toString()) as ReadingEvent);
    const registry = parseAssetsCsv(
      await readFile(generated.assets_file, 'utf8'),
      'reference/assets/assets.csv',
      '2025-01-01T00:00:00.000Z',
    );
    const expected = dryRun(
      new Map(registry.items.map((i) => [i.asset_id, assetInfoOf(i)])),
      resolveRulesConfig(),
    ).apply(events);
    expect(expected.length).toBeGreaterThan(0);

    const all = received('/all');
    const bodies = all.map(
      (n) =>
        JSON.parse(n.Message) as {
          notification_id: string;
          kind: string;
          rule: string;
          asset_id: string;
          substation_id: string;
          severity: string;
          measurement: string;
          value: number;
          threshold: number;
        },
    );
    expect(bodies.map((b) => b.notification_id).sort()).toEqual(expected.map((n) => n.notification_id).sort());
    for (const [i, n] of all.entries()) {
      const b = bodies[i]!;
      expect(n.Type).toBe('Notification');
      expect(n.MessageAttributes).toMatchObject({
        severity: { Type: 'String', Value: b.severity },
        rule: { Type: 'String', Value: b.rule },
        asset_id: { Type: 'String', Value: b.asset_id },
        substation_id: { Type: 'String', Value: b.substation_id },
        kind: { Type: 'String', Value: b.kind },
        value: { Type: 'Number', Value: String(b.value) },
        threshold: { Type: 'Number', Value: String(b.threshold) },
      });
    }
    expect(received('/nothing')).toEqual([]);
    // A numeric range on the reading's value: exactly the voltage notifications below 200 V.
    const sagging = received('/sagging')
      .map((n) => (JSON.parse(n.Message) as { notification_id: string }).notification_id)
      .sort();
    expect(sagging).toEqual(
      bodies
        .filter((b) => b.measurement.endsWith('_voltage') && b.value < 200)
        .map((b) => b.notification_id)
        .sort(),
    );
    expect(sagging.length).toBeGreaterThan(0);
    const critical = received('/critical')
      .map((n) => (JSON.parse(n.Message) as { notification_id: string }).notification_id)
      .sort();
    expect(critical).toEqual(
      bodies
        .filter((b) => b.severity === 'critical')
        .map((b) => b.notification_id)
        .sort(),
    );
    expect(critical.length).toBeGreaterThan(0);

    // Every labelled anomaly found, nothing else raised.
    const incidents = await new AlertStore(stack.clients.doc).incidents();
    const labels = parseLabels(await readFile(generated.labels_file, 'utf8'));
    const score = scoreAlerts(labels, incidents);
    expect(score.missed).toEqual([]);
    expect(score.false_positives).toEqual([]);
    // every per-reading rule is exercised; stale_feed needs the watchdog's low watermark
    // across idle shards, which test/int/stale-feed.int.spec.ts drives
    expect(new Set(labels.map((l) => l.rule))).toEqual(new Set(RULE_IDS.filter((r) => r !== 'stale_feed')));
    expect(new Set(incidents.map((i) => i.rule))).toEqual(new Set(labels.map((l) => l.rule)));
    // Stored once, published: nothing left in the outbox.
    expect(await new AlertStore(stack.clients.doc).pending('9999')).toEqual([]);
    const jsonl = (await readFile(join(dir, 'alerts.jsonl'), 'utf8')).trim().split('\n');
    expect(jsonl).toHaveLength(all.length);
  });

  it('raises no new alert and leaves window state unchanged when the same data is ingested again or replayed', async () => {
    await labelledIngested();
    const before = {
      all: received('/all').length,
      windows: stateOf(await windows()),
      notifications: (await new AlertStore(stack.clients.doc).notifications()).length,
    };
    expect(before.windows.length).toBeGreaterThan(0);

    // The same rows in another file (a re-upload): same event ids, later emission.
    await ingest('raw/test/labelled-again.csv', await readFile(generated.files[0]!.path));
    // A replay of the whole stream through the same handler.
    const { records } = await readStream(stack);
    const handler = createAnomalyHandler({
      doc: stack.clients.doc,
      s3: stack.clients.s3,
      bucket: bucket(),
      publisher: (stack.service<SnsService>('sns') as SnsService).topic,
      config: resolveRulesConfig(),
    });
    for (const [shardId, list] of records) {
      if (!list.length) continue;
      const source: EventSource = {
        region: LOCAL_REGION,
        account: LOCAL_ACCOUNT,
        stream,
        shardId,
        consumer: 'anomaly',
      };
      const response = await handler(toKinesisEvent(list, source));
      expect(response.batchItemFailures).toEqual([]);
    }
    await stack.service<SnsService>('sns')?.topic.flush();

    expect(received('/all').length).toBe(before.all);
    expect((await new AlertStore(stack.clients.doc).notifications()).length).toBe(before.notifications);
    expect(stateOf(await windows())).toEqual(before.windows);
  });

  it('counts a reading beyond the lateness horizon as late, once, and shows it in `dubegrid status`', async () => {
    await labelledIngested();
    const asset = 'LV100001:01';
    const late = {
      ...readingEvent({
        substation: 'LV100001',
        feeder: '01',
        measurement: 'l1_voltage',
        ts: '2025-08-10T12:00:00Z',
        value: 0,
      }),
      unit: 'V' as const,
      phase: 'L1' as const,
    };
    expect(late.asset_id).toBe(asset);
    const lateCount = async () => ((await stack.status()).anomaly as { late_readings: number }).late_readings;
    const before = await lateCount();
    await settle((await putReadingEvents(stack.clients.kinesis, stream, [late])).targets);
    expect(await lateCount()).toBe(before + 1);
    await settle((await putReadingEvents(stack.clients.kinesis, stream, [late])).targets); // the same reading again
    expect(await lateCount()).toBe(before + 1);
    expect(received('/all').some((n) => n.Message.includes('2025-08-10T12:00:00.000Z'))).toBe(false);

    const status = await runCli(['status', '--json', '--data-dir', dir]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).services.anomaly.late_readings).toBe(before + 1);
  });

  it('lists incidents with `dubegrid alerts`, filtered by rule, severity, asset and time together', async () => {
    await labelledIngested();
    const run = async (...args: string[]) => {
      const r = await runCli(['alerts', '--json', '--data-dir', dir, ...args]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as {
        count: number;
        alerts: {
          alert_id: string;
          rule: string;
          severity: string;
          asset_id: string;
          status: string;
          opened_at: string;
          closed_at?: string;
          measurement: string;
          value: number;
          threshold: number;
        }[];
      };
    };
    const all = await run();
    expect(all.count).toBeGreaterThan(0);
    expect(all.alerts[0]).toEqual(
      expect.objectContaining({
        alert_id: expect.any(String),
        substation_id: expect.any(String),
        status: expect.stringMatching(/^(open|closed)$/),
        measurement: expect.any(String),
        value: expect.any(Number),
        threshold: expect.any(Number),
      }),
    );
    // Filters combine: the command's answer is the full list filtered the same way.
    const pick = all.alerts[Math.floor(all.count / 2)]!;
    const since = all.alerts[Math.floor(all.count / 4)]!.opened_at;
    const filtered = await run(
      '--rule',
      pick.rule,
      '--severity',
      pick.severity,
      '--since',
      since,
      '--asset',
      pick.asset_id,
    );
    const want = all.alerts.filter(
      (a) =>
        a.rule === pick.rule && a.severity === pick.severity && a.opened_at >= since && a.asset_id === pick.asset_id,
    );
    expect(filtered.alerts.map((a) => a.alert_id)).toEqual(want.map((a) => a.alert_id));
    expect(filtered.count).toBeGreaterThan(0);
    expect((await stack.status()).anomaly).toMatchObject({ outbox_pending: 0 });

    // The alert lake SQL counts from holds every incident, once, with its severity.
    const sql = "SELECT alert_id, count(*) AS n FROM alerts WHERE kind = 'open' GROUP BY alert_id ORDER BY alert_id";
    const q = await runCli(['query', '--json', '--data-dir', dir, sql]);
    expect(q.code, q.stderr).toBe(0);
    const { rows } = JSON.parse(q.stdout) as { rows: { alert_id: string; n: number }[] };
    expect(rows).toEqual(
      all.alerts.map((a) => ({ alert_id: a.alert_id, n: 1 })).sort((a, b) => a.alert_id.localeCompare(b.alert_id)),
    );
  });
});
