/**
 * The steps the fault scenarios take through the real `dubegrid` binary, as a user
 * would: generate a labelled sample, ingest it, verify, list the incidents. One
 * definition each, so every scenario judges its data dir the same way.
 */
import { join } from 'node:path';
import { runCli, type CliRun } from '../support/cli.ts';
import type { ScenarioFigure, ScenarioSize } from './scenario.ts';

/** Runs `dubegrid … --data-dir dir --quiet`, with extra environment. */
export function dubegrid(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli([...args, '--data-dir', dataDir, '--quiet'], env);
}

/** A labelled sample sized for the run: smoke is one substation-day (3,600 readings). */
/** The full size of the fault scenarios' sample (smoke: one substation-day, in `generateSample`). */
export const FAULT_SAMPLE_SIZE = { substations: 2, days: 3 } as const;

export async function generateSample(
  out: string,
  size: ScenarioSize,
  full: { substations: number; days: number },
): Promise<void> {
  const { substations, days } = size === 'smoke' ? { substations: 1, days: 1 } : full;
  const run = await runCli([
    'generate',
    '--out',
    out,
    '--substations',
    String(substations),
    '--days',
    String(days),
    '--anomalies',
    '--quiet',
  ]);
  if (run.code !== 0) throw new Error(`generate failed: ${lastLine(run.stderr)}`);
}

/** The readings files and the assets file of a generated sample (labels are ground truth, not input). */
export const sampleInputs = (dir: string): string[] => [join(dir, 'assets.csv'), join(dir, 'y=2025')];

export interface VerifyReport {
  readonly ok: boolean;
  readonly readings: {
    readonly emitted: { readonly readings: number };
    readonly duplicates: number;
    readonly table: { readonly readings: number; readonly items: number };
    readonly lake: { readonly readings: number };
  };
  readonly latest: { readonly items: number };
  readonly notifications: { readonly stored: number; readonly unpublished: number };
  readonly dlq: { readonly entries: number };
  readonly differences: readonly unknown[];
}

export async function verify(dataDir: string): Promise<{ run: CliRun; report: VerifyReport | undefined }> {
  const run = await dubegrid(dataDir, ['verify', '--json']);
  return { run, report: parseJson<VerifyReport>(run.stdout) };
}

/** What a data dir's projections hold, in a form two runs of the same input can be compared by. */
export interface Holdings {
  readonly readings: number;
  readonly lake: number;
  readonly latest: number;
  readonly notifications: number;
  /** Each incident's id and lifecycle, sorted. */
  readonly incidents: readonly string[];
}

export async function holdings(dataDir: string, report: VerifyReport): Promise<Holdings> {
  const run = await dubegrid(dataDir, ['alerts', '--json']);
  const alerts = parseJson<{ alerts: Record<string, unknown>[] }>(run.stdout);
  if (!alerts) throw new Error(`alerts --json failed: ${lastLine(run.stderr)}`);
  const lifecycle = ['alert_id', 'rule', 'status', 'opened_at', 'escalated_at', 'closed_at', 'value'];
  return {
    readings: report.readings.table.readings,
    lake: report.readings.lake.readings,
    latest: report.latest.items,
    notifications: report.notifications.stored,
    incidents: alerts.alerts.map((a) => lifecycle.map((k) => String(a[k] ?? '')).join(' ')).sort(),
  };
}

/** How `got` differs from `want`, one line per projection; empty when they hold the same. */
export function compareHoldings(want: Holdings, got: Holdings): string[] {
  const out: string[] = [];
  for (const k of ['readings', 'lake', 'latest', 'notifications'] as const)
    if (want[k] !== got[k]) out.push(`${k}: ${got[k]} instead of ${want[k]}`);
  const missing = want.incidents.filter((i) => !got.incidents.includes(i));
  const extra = got.incidents.filter((i) => !want.incidents.includes(i));
  if (missing.length > 0) out.push(`incidents missing or different: ${missing.slice(0, 3).join('; ')}`);
  if (extra.length > 0) out.push(`incidents extra or different: ${extra.slice(0, 3).join('; ')}`);
  return out;
}

/** Lost and duplicated readings of a verify report against the readings emitted. */
export function lostAndDuplicated(report: VerifyReport): { lost: number; duplicated: number } {
  const emitted = report.readings.emitted.readings - report.readings.duplicates;
  const held = Math.min(report.readings.table.readings, report.readings.lake.readings);
  const most = Math.max(report.readings.table.readings, report.readings.lake.readings);
  return { lost: Math.max(0, emitted - held), duplicated: Math.max(0, most - emitted) };
}

export function figure(
  name: string,
  value: number | string,
  unit?: string,
  target?: string,
  met?: boolean,
): ScenarioFigure {
  return {
    name,
    value,
    ...(unit !== undefined ? { unit } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(met !== undefined ? { met } : {}),
  };
}

/** A figure with a target of exactly `want`. */
export const exactly = (name: string, value: number, want = 0): ScenarioFigure =>
  figure(name, value, undefined, `= ${want}`, value === want);

export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** Lines of stderr a user would read as errors: stack traces or more than a one-line reason. */
export function stackTraceIn(stderr: string): string | undefined {
  return stderr.split('\n').find((l) => /^\s+at .+\(.*:\d+:\d+\)$|^\s+at \S+:\d+:\d+$/.test(l));
}
