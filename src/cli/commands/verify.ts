import { renderVerify } from '../../ops/replay/verify/report.ts';
import { verify } from '../../ops/replay/verify/verify.ts';
import type { Action } from '../command.ts';
import { progress } from '../output.ts';
import { withOps } from './replay.ts';

interface VerifyFlags {
  flush: boolean;
}

export const runVerify: Action<VerifyFlags> = async (_args, opts) =>
  withOps(opts, async (envt) => {
    if (opts.flush) await envt.flush();
    const report = await verify(envt, { progress });
    return { json: report, human: renderVerify(report), exitCode: report.ok ? 0 : 1 };
  });
