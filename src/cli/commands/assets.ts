import type { Command } from 'commander';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { listAssets, waitForAssetsLoaded } from '../../consumers/registry/record.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { action } from '../command.ts';
import { withContext } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';

interface AssetsFlags {
  load?: string;
  timeout: string;
}

export function registerAssets(program: Command): void {
  program
    .command('assets')
    .description(
      'list the asset registry (the `assets` table): one entry per substation (transformer rating) and per feeder (rated current), ' +
        'with the generation flag the anomaly rules read',
    )
    .option(
      '--load <file>',
      `first upload an assets.csv (the format \`dubegrid generate\` writes) under ${PREFIXES.referenceAssets}, where the registry loader picks it up, and wait until it is loaded`,
    )
    .option('--timeout <seconds>', 'with --load: give up waiting after this long', '120')
    .addHelpText(
      'after',
      `\nAny upload under ${PREFIXES.referenceAssets}*.csv loads the registry; rows that cannot be read go to quarantine/<key>.jsonl.`,
    )
    .action(
      action<AssetsFlags>(async (_args, opts) => {
        const timeoutMs = Number(opts.timeout) * 1000;
        if (!(timeoutMs > 0))
          throw new UsageError(`--timeout must be a positive number of seconds, got ${opts.timeout}`);
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
            await ctx.clients.s3.send(
              new PutObjectCommand({ Bucket: ctx.clients.names.bucket, Key: loadedKey, Body: body }),
            );
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
            a.transformer_kva,
            a.rated_current_a ?? '',
            a.has_generation ? 'yes' : 'no',
            a.source_key,
          ]);
          const head = loadedKey ? `loaded ${loadedKey}\n` : '';
          return {
            json,
            human: `${head}${table(['asset_id', 'kind', 'name', 'transformer kVA', 'rated A', 'generation', 'source'], rows)}\n${assets.length} asset(s)`,
          };
        });
      }),
    );
}

/** The loader stamps every item of a file with its key and time: wait until some carry this upload's. */
