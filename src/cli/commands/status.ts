/** `dubegrid status` (registered in register/status.ts): the resources and the services' figures, asked at once. */
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { renderStatus } from './status-render.ts';

export interface StatusFlags {
  exact?: boolean;
  verbose?: boolean;
}

export const runStatus: Action<StatusFlags> = async (_args, opts) =>
  // 'control': attached to `up`, the running stack measures its own resources, so this process never loads the SDK
  withContext(opts, 'control', async (ctx) => {
    const [resources, services] = await Promise.all([ctx.resourceStatus(opts.exact === true), ctx.servicesStatus()]);
    const runtime = ctx.attached
      ? {
          running: true,
          mode: ctx.attached.mode,
          pid: ctx.attached.pid,
          started_at: ctx.attached.startedAt,
          endpoints: ctx.attached.endpoints,
        }
      : { running: ctx.target === 'aws', mode: ctx.target === 'aws' ? 'aws' : 'started for this command' };
    const json = {
      target: ctx.target,
      data_dir: ctx.target === 'local' ? ctx.dataDir : undefined,
      runtime,
      resources,
      services,
    };
    return {
      json,
      human: renderStatus(ctx.target, ctx.dataDir, runtime, resources, services, opts.verbose === true),
    };
  });
