import { resolveDataDir } from '../../local/data-dir.ts';
import { runDoctor as runChecks } from '../../ops/doctor/doctor.ts';
import type { Action } from '../command.ts';
import { awsRegion, parseTarget } from '../context.ts';
import { table } from '../output.ts';

export const runDoctor: Action<object> = async (_args, opts) => {
  const target = parseTarget(opts.target);
  const report = await runChecks({ target, dataDir: resolveDataDir(opts.dataDir), awsRegion });
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const human = [
    table(
      ['check', 'status', 'detail'],
      report.checks.map((c) => [c.check, c.status === 'ok' ? 'ok' : c.status.toUpperCase(), c.detail]),
    ),
    ...report.checks.filter((c) => c.fix).map((c) => `fix ${c.check}: ${c.fix}`),
    '',
    failed ? `${failed} check(s) failed` : 'all checks passed',
  ].join('\n');
  return { json: { target, ...report }, human, exitCode: failed ? 1 : 0 };
};
