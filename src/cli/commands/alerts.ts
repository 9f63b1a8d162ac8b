import type { IncidentRecord } from '../../consumers/anomaly/alerts.ts';
import { summaryOf } from '../../consumers/anomaly/alerts.ts';
import { RULE_IDS, SEVERITIES, type RuleId, type Severity } from '../../consumers/anomaly/rules/types.ts';
import { AlertStore, type IncidentFilter, type StoredNotification } from '../../consumers/anomaly/store/alert-store.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';
import { untilSignalled } from './up.ts';

interface AlertsFlags {
  since?: string;
  severity?: string;
  rule?: string;
  asset?: string;
  follow?: boolean;
}

/** How often `--follow` asks for new notifications. */
const FOLLOW_POLL_MS = 1_000;

export const runAlerts: Action<AlertsFlags> = async (_args, opts) => {
  const filter = filterOf(opts, new Date());
  return withContext(opts, opts.follow ? 'pipeline' : 'stack', async (ctx) => {
    const store = new AlertStore(ctx.clients.doc, ctx.clients.names.tables.alerts);
    const incidents = await store.incidents(filter);
    const json = { count: incidents.length, filter, alerts: incidents };
    if (!opts.follow) return { json, human: render(incidents) };
    if (opts.json) for (const i of incidents) process.stdout.write(`${JSON.stringify(i)}\n`);
    else process.stdout.write(`${render(incidents)}\n`);
    progress('following new notifications; Ctrl-C stops');
    const shown = await follow(store, filter, opts.json === true);
    return { json: { followed: shown }, human: `${shown} notification(s) followed` };
  });
};

function render(incidents: readonly IncidentRecord[]): string {
  if (!incidents.length) return 'no incidents match';
  const rows = incidents.map((i) => [
    i.opened_at,
    i.status,
    i.severity,
    i.rule,
    i.asset_id,
    i.measurement,
    i.value,
    i.threshold,
    i.unit,
    i.closed_at ?? '',
    i.alert_id,
  ]);
  const open = incidents.filter((i) => i.status === 'open').length;
  return `${table(['opened (UTC)', 'status', 'severity', 'rule', 'asset', 'measurement', 'value', 'threshold', 'unit', 'closed (UTC)', 'alert_id'], rows)}\n${incidents.length} incident(s), ${open} open`;
}

/** Prints notifications stored from now on that match the filter, until a signal. */
async function follow(store: AlertStore, filter: IncidentFilter, json: boolean): Promise<number> {
  let cursor = new Date().toISOString();
  let shown = 0;
  let stop = false;
  void untilSignalled().then(() => (stop = true));
  while (!stop) {
    const today = new Date().toISOString().slice(0, 10);
    const days = [...new Set([cursor.slice(0, 10), today])];
    const fresh: StoredNotification[] = [];
    for (const day of days) fresh.push(...(await store.storedAfter(day, cursor)));
    fresh.sort((a, b) => `${a.stored_at}#${a.notification_id}`.localeCompare(`${b.stored_at}#${b.notification_id}`));
    for (const n of fresh) {
      cursor = `${n.stored_at}#${n.notification_id}`;
      if (!matches(n, filter)) continue;
      process.stdout.write(json ? `${JSON.stringify(publicNotification(n))}\n` : `${summaryOf(n)}\n`);
      shown++;
    }
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
  }
  return shown;
}

function matches(n: StoredNotification, f: IncidentFilter): boolean {
  return (
    (!f.since || n.opened_at >= f.since) &&
    (!f.severity || n.severity === f.severity) &&
    (!f.rule || n.rule === f.rule) &&
    (!f.asset || n.asset_id === f.asset)
  );
}

function publicNotification(n: StoredNotification): Record<string, unknown> {
  const {
    message: _m,
    attributes: _a,
    subject: _s,
    sk: _k,
    ...rest
  } = n as StoredNotification & Record<string, unknown>;
  for (const k of ['outbox', 'stored_day', 'stored_sk', 'day', 'type']) delete rest[k];
  return rest;
}

export function filterOf(opts: AlertsFlags, now: Date): IncidentFilter {
  if (opts.severity !== undefined && !(SEVERITIES as readonly string[]).includes(opts.severity)) {
    throw new UsageError(`--severity must be ${SEVERITIES.join(' or ')}, got ${opts.severity}`);
  }
  if (opts.rule !== undefined && !(RULE_IDS as readonly string[]).includes(opts.rule))
    throw new UsageError(`--rule must be one of ${RULE_IDS.join(', ')}; got ${opts.rule}`);
  return {
    ...(opts.since !== undefined ? { since: parseSince(opts.since, now) } : {}),
    ...(opts.severity !== undefined ? { severity: opts.severity as Severity } : {}),
    ...(opts.rule !== undefined ? { rule: opts.rule as RuleId } : {}),
    ...(opts.asset !== undefined ? { asset: opts.asset } : {}),
  };
}

const SPAN_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a span back from now (`30m`, `6h`, `2d`), a date, or a time with a zone → canonical UTC. */
export function parseSince(text: string, now: Date): string {
  const t = text.trim();
  const span = /^(\d+)\s*([mhd])$/i.exec(t);
  if (span)
    return new Date(
      now.getTime() - Number(span[1]) * (SPAN_MS[(span[2] as string).toLowerCase()] as number),
    ).toISOString();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : t;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(date)
    ? Date.parse(date)
    : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(
      `--since must be a date (2025-08-14), a time with a zone (2025-08-14T15:00Z) or a span (30m, 6h, 2d); got ${text}`,
    );
  return new Date(ms).toISOString();
}
