import type { Command } from 'commander';
import { listAssets } from '../../consumers/registry/record.ts';
import { action } from '../command.ts';
import { withContext } from '../context.ts';
import { table } from '../output.ts';

export function registerAssets(program: Command): void {
  program
    .command('assets')
    .description(
      'list the asset registry (the `assets` table): one entry per substation (transformer rating) and per feeder (rated current), ' +
        'with the generation flag the anomaly rules read; load it by uploading a generated assets.csv under reference/assets/',
    )
    .action(
      action(async (_args, opts) =>
        withContext(opts, 'stack', async (ctx) => {
          const assets = await listAssets(ctx.clients.doc, ctx.clients.names.tables.assets);
          const json = { count: assets.length, assets };
          if (!assets.length) return { json, human: 'the registry is empty: upload an assets.csv (dubegrid generate writes one) under reference/assets/' };
          const rows = assets.map((a) => [
            a.asset_id,
            a.kind,
            a.substation_name,
            a.transformer_kva,
            a.rated_current_a ?? '',
            a.has_generation ? 'yes' : 'no',
            a.source_key,
          ]);
          return { json, human: `${table(['asset_id', 'kind', 'name', 'transformer kVA', 'rated A', 'generation', 'source'], rows)}\n${assets.length} asset(s)` };
        }),
      ),
    );
}
