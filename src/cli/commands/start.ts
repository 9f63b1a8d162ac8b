import { resolveDataDir } from '../../local/data-dir.ts';
import { stderrLog, type RuntimeLog } from '../../local/service.ts';
import { API_SERVICE_NAME, type ApiService } from '../../local/api/service.ts';
import { startStack } from '../../local/stack.ts';
import { runSample, SAMPLE_DEFAULTS, type SampleRun } from '../../ops/sample/run.ts';
import type { Action } from '../command.ts';
import { dataDirFlag, parseTarget } from '../context.ts';
import { meter, progress, table, UsageError } from '../output.ts';
import { topOfReport } from './report.ts';
import type { ServerFlags } from '../register/server-options.ts';
import { apiServices } from './server-options.ts';
import { consoleLines, untilSignalled } from './up.ts';

interface StartOptions extends ServerFlags {
  once?: boolean;
  substations?: string;
  days?: string;
}

const TIMEOUT_MS = 30 * 60_000;

export const runStart: Action<StartOptions> = async (_args, opts) => {
  if (parseTarget(opts.target) !== 'local')
    throw new UsageError('start runs the embedded stack; use the other commands with --target aws');
  const substations = positive(opts.substations, '--substations');
  const days = positive(opts.days, '--days');
  const log = new StartLog();
  const stack = await startStack({
    dataDir: resolveDataDir(opts.dataDir),
    mode: 'up',
    log,
    services: apiServices(opts),
  });
  try {
    progress(
      `embedded stack up on ${stack.dataDir} (s3 ${stack.endpoints.s3}, kinesis ${stack.endpoints.kinesis}, dynamodb ${stack.endpoints.dynamodb})`,
    );
    const run = await runSample(stack, { substations, days, timeoutMs: TIMEOUT_MS, progress, meter });
    if (log.held)
      progress(
        `the console subscriber received ${log.held} alert notification(s) during the run; the incidents are listed below`,
      );
    const report = await topOfReport(stack.clients, stack.dataDir);
    const consoleUrl = stack.service<ApiService>(API_SERVICE_NAME)?.url;
    const json = {
      data_dir: stack.dataDir,
      endpoints: stack.endpoints,
      ...(consoleUrl ? { console_url: consoleUrl } : {}),
      ...run,
      report_top: report,
    };
    const human = render(run, report);
    const next = nextSteps(stack.dataDir);
    if (opts.once)
      return {
        json,
        human: `${human}\n\nNext: try ${next} (each starts the stack for its own lifetime; \`npx dubegrid up\` keeps it running).`,
      };
    log.holding = false;
    const signIn = consoleLines(stack)
      .map((l) => `\n${l.trim()}`)
      .join('');
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(json)}\n`
        : `${human}\n${signIn}\n\nDubeGrid stays up on ${stack.dataDir}: try ${next} in another terminal. Ctrl-C stops it.\n`,
    );
    // as `up`: the emulators dying under it end it with their one line (docs/reliability.md)
    const died = await Promise.race([untilSignalled().then(() => undefined), stack.emulatorsDied]);
    if (died !== undefined) throw new Error(died);
    progress('stopping the embedded stack…');
    return { json: undefined, human: 'stopped; all data is kept in the data dir' };
  } finally {
    await stack.stop();
  }
};

/**
 * The stack's log for `start`: while the sample runs, the console subscriber's alert
 * lines are counted, not printed — a sample raises a few hundred notifications, which
 * would bury the progress, and the run lists the incidents afterwards. Once the run is
 * over (staying up), each new alert is printed as it arrives.
 */
class StartLog implements RuntimeLog {
  holding = true;
  held = 0;
  info = stderrLog.info;
  warn = stderrLog.warn;
  error = stderrLog.error;
  alert = (message: string): void => {
    if (this.holding) this.held++;
    else stderrLog.info(message);
  };
}

/**
 * The commands suggested after the run, runnable as printed (test/int/cli-hints.int.spec.ts
 * runs them): on another data dir than the default, they name it.
 */
function nextSteps(dataDir: string): string {
  const dir = dataDirFlag(dataDir);
  return [`status${dir}`, `alerts${dir}`, `query --named peak_load_by_asset ${sampleMonthParams()}${dir}`]
    .map((c) => `\`npx dubegrid ${c}\``)
    .join(', ');
}

/** The sample's month as the named queries take it, so the hint runs as printed. */
function sampleMonthParams(): string {
  const [year, month] = SAMPLE_DEFAULTS.start.split('-');
  return `--param year=${year} --param month=${month}`;
}

function positive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number ≥ 1, got ${value}`);
  return n;
}

function render(run: SampleRun, report: string): string {
  const t = run.ingest.totals;
  const lines = [`DubeGrid ran the sample in ${(run.elapsed_ms / 1000).toFixed(1)} s (${run.sample_dir})`, ''];
  if (t) {
    lines.push(
      `ingested ${t.files} file(s): ${t.rows_read} rows read, ${t.rows_accepted} accepted, ${t.rows_quarantined} quarantined → ${t.events_emitted} events in ${t.kinesis_records} Kinesis records (${t.put_payload_units} PUT payload units)`,
    );
  }
  lines.push(
    run.caught_up.waited
      ? `projections caught up: ${run.caught_up.consumers.join(', ')}${run.caught_up.lake_flushed ? ', lake flushed' : ''}`
      : `projections: ${run.caught_up.note ?? 'not watched'}`,
  );
  lines.push('', 'latest state (a few assets):');
  for (const a of run.latest) {
    lines.push(
      `  ${a.asset_id}: ${a.measurements.map((m) => `${m.measurement}=${m.value} ${m.unit}`).join(', ')} @ ${a.measurements[0]?.ts ?? ''}`,
    );
  }
  const open = run.alerts.filter((a) => a.status === 'open').length;
  lines.push('', `alerts raised: ${run.alerts.length} incident(s), ${open} open`);
  if (run.alerts.length) {
    lines.push(
      table(
        ['opened (UTC)', 'status', 'severity', 'rule', 'asset', 'measurement', 'value', 'threshold'],
        run.alerts
          .slice(0, 15)
          .map((a) => [a.opened_at, a.status, a.severity, a.rule, a.asset_id, a.measurement, a.value, a.threshold]),
      ),
    );
    if (run.alerts.length > 15) lines.push(`… ${run.alerts.length - 15} more: \`npx dubegrid alerts\``);
  }
  if (report) lines.push('', 'asset performance (top of `dubegrid report`):', report);
  return lines.join('\n');
}
