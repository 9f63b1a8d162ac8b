/**
 * What a soak run left in the pipeline, read from a running `up` as any client would:
 * the raw zone's accounts, the keys of every projection, and the lake view's counts.
 * `compareOutcomes` (pure) says what a faulted run lost or duplicated against a clean one.
 */
import { createClients, type Clients } from '../../../src/shared/clients.ts';
import { callControl } from '../../../src/local/control.ts';
import type { RuntimeInfo } from '../../../src/local/runtime-file.ts';
import { normaliseEtag } from '../../../src/shared/manifest.ts';
import { readRawZone, type RawZoneFacts } from '../../../src/ops/replay/verify/raw-zone.ts';
import { catchUpProjections, shardTargetsOf } from '../../../src/ops/replay/catch-up.ts';
import { runCli } from '../../support/cli.ts';
import { eventually } from '../../support/eventually.ts';
import { scanAll } from '../../support/tables.ts';

export function attach(runtime: RuntimeInfo): Clients {
  return createClients({ target: 'local', endpoints: runtime.endpoints });
}

/**
 * Until the stack has finished with everything in the raw zone: a manifest of every raw
 * object's current upload, then every consumer at or past what those manifests wrote and
 * the lake, outbox and topic flushed (what `ingest --wait` waits for).
 */
export async function untilCaughtUp(
  dataDir: string,
  runtime: RuntimeInfo,
  clients: Clients,
  timeoutMs: number,
): Promise<RawZoneFacts> {
  const raw = await eventually(
    `a manifest for every raw object on ${dataDir}`,
    async () => {
      const facts = await readRawZone(clients.s3, clients.names.bucket);
      const done = facts.objects.every((o) => normaliseEtag(facts.manifests.get(o.key)?.source.etag) === o.etag);
      return done && facts.objects.length > 0 ? facts : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
  const control = runtime.control;
  if (control === undefined) throw new Error(`the stack on ${dataDir} runs no services (no control endpoint)`);
  await catchUpProjections(
    {
      target: 'local',
      dataDir,
      servicesStatus: () => callControl(control, 'GET', '/status'),
      flush: () => callControl(control, 'POST', '/flush'),
    },
    shardTargetsOf([...raw.manifests.values()]),
    { timeoutMs },
  );
  return raw;
}

export interface Outcome {
  /** Time series items, `asset_id|sk`. */
  readonly series: ReadonlySet<string>;
  /** Latest state, `asset_id|measurement` → `ts|value`. */
  readonly latest: ReadonlyMap<string, string>;
  /** Incident items with their status, `asset_id|sk|status`: one a clean run closed must be closed too. */
  readonly incidents: ReadonlySet<string>;
  /** Stored notifications (outbox items), `asset_id|sk`. */
  readonly notifications: ReadonlySet<string>;
  /** The lake's `readings` view: its rows, and its distinct event ids. */
  readonly lake: { readonly rows: number; readonly distinct: number };
}

interface Keyed {
  asset_id: string;
  sk: string;
}

export async function readOutcome(dataDir: string, clients: Clients): Promise<Outcome> {
  const { tables } = clients.names;
  const [series, latest, alerts] = await Promise.all([
    scanAll<Keyed>(clients.doc, tables.readings),
    scanAll<{ asset_id: string; measurement: string; ts: string; value: number }>(clients.doc, tables.latest),
    scanAll<Keyed & { status?: string }>(clients.doc, tables.alerts),
  ]);
  const key = (i: Keyed): string => `${i.asset_id}|${i.sk}`;
  return {
    series: new Set(series.map(key)),
    latest: new Map(latest.map((i) => [`${i.asset_id}|${i.measurement}`, `${i.ts}|${i.value}`])),
    incidents: new Set(alerts.filter((i) => i.sk.startsWith('incident#')).map((i) => `${key(i)}|${i.status}`)),
    notifications: new Set(alerts.filter((i) => i.sk.startsWith('notification#')).map(key)),
    lake: await lakeCounts(dataDir),
  };
}

async function lakeCounts(dataDir: string): Promise<Outcome['lake']> {
  const run = await runCli([
    'query',
    'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM readings',
    '--json',
    '--data-dir',
    dataDir,
  ]);
  if (run.code !== 0) throw new Error(`dubegrid query failed: ${run.stderr}`);
  const row = (JSON.parse(run.stdout) as { rows: { n: number; d: number }[] }).rows[0];
  return { rows: Number(row?.n ?? 0), distinct: Number(row?.d ?? 0) };
}

export const PROJECTIONS = ['series', 'latest', 'lake', 'incidents', 'notifications'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export interface Loss {
  readonly lost: number;
  readonly duplicated: number;
}

/**
 * Per projection, what `actual` lacks of `expected` (lost) and holds beyond it (duplicated:
 * an item no clean run makes, or a reading the lake view shows twice). A latest item that
 * holds another reading than the clean run's counts as lost.
 */
export function compareOutcomes(expected: Outcome, actual: Outcome): Record<Projection, Loss> {
  const sets = (e: ReadonlySet<string>, a: ReadonlySet<string>): Loss => ({
    lost: [...e].filter((k) => !a.has(k)).length,
    duplicated: [...a].filter((k) => !e.has(k)).length,
  });
  return {
    series: sets(expected.series, actual.series),
    latest: {
      lost: [...expected.latest].filter(([k, v]) => actual.latest.get(k) !== v).length,
      duplicated: [...actual.latest.keys()].filter((k) => !expected.latest.has(k)).length,
    },
    lake: {
      lost: Math.max(0, expected.lake.distinct - actual.lake.distinct),
      duplicated: actual.lake.rows - actual.lake.distinct + Math.max(0, actual.lake.distinct - expected.lake.distinct),
    },
    incidents: sets(expected.incidents, actual.incidents),
    notifications: sets(expected.notifications, actual.notifications),
  };
}

/** `dubegrid verify` on the data dir: whether every zone reconciled, and its first lines when not. */
export async function verify(dataDir: string): Promise<{ ok: boolean; why: string }> {
  const run = await runCli(['verify', '--data-dir', dataDir]);
  return {
    ok: run.code === 0,
    why: run.code === 0 ? '' : `${run.stdout}${run.stderr}`.split('\n').slice(0, 6).join(' | '),
  };
}
