import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { listAssets, waitForAssetsLoaded } from '../../consumers/registry/record.ts';
import { PREFIXES } from '../../shared/resources.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';

interface AssetsFlags {
  load?: string;
  timeout: string;
}

export const runAssets: Action<AssetsFlags> = async (_args, opts) => {
  const timeoutMs = Number(opts.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${opts.timeout}`);
  const body =
    opts.load === undefined
      ? undefined
      : await readFile(opts.load).catch((err: Error) => {
          throw new UsageError(`cannot read ${opts.load}: ${err.message}`);
        });
  return withContext(opts, body ? 'pipeline' : 'stack', async (ctx) => {
    const table_ = ctx.clients.names.tables.assets;
    let loadedKey: string | undefined;
    if (body && opts.load) {
      loadedKey = `${PREFIXES.referenceAssets}${basename(opts.load)}`;
      const since = new Date(Date.now() - 1000).toISOString();
      await ctx.clients.s3.send(new PutObjectCommand({ Bucket: ctx.clients.names.bucket, Key: loadedKey, Body: body }));
      progress(`uploaded ${opts.load} to ${loadedKey}; waiting for the registry loader…`);
      await waitForAssetsLoaded(() => listAssets(ctx.clients.doc, table_), loadedKey, since, timeoutMs);
    }
    const assets = await listAssets(ctx.clients.doc, table_);
    const json = { count: assets.length, ...(loadedKey ? { loaded: loadedKey } : {}), assets };
    if (!assets.length)
      return {
        json,
        human: `the registry is empty: load an assets.csv with \`dubegrid assets --load FILE\` (dubegrid generate writes one)`,
      };
    const rows = assets.map((a) => [
      a.asset_id,
      a.kind,
      a.substation_name,
      a.transformer_kva ?? '',
      a.rated_current_a ?? '',
      // an asset known only from a reference file has no flag: unknown, not "no"
      a.has_generation === undefined ? '' : a.has_generation ? 'yes' : 'no',
      a.source_key,
    ]);
    const head = loadedKey ? `loaded ${loadedKey}\n` : '';
    return {
      json,
      human: `${head}${table(['asset_id', 'kind', 'name', 'transformer kVA', 'rated A', 'generation', 'source'], rows)}\n${assets.length} asset(s)`,
    };
  });
};

/** The loader stamps every item of a file with its key and time: wait until some carry this upload's. */
