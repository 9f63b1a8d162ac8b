/**
 * The lake reader contract run against the local reader (DuckDB over the mirror) and
 * the AWS reader (Athena, through the fake of its API, over the same Parquet objects
 * as the Glue view would read them).
 */
import { AthenaSqlEngine } from '../../src/ops/query/athena-engine.ts';
import { dedupeDays, dedupedDir } from '../../src/ops/query/dedupe.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { AthenaLakeReader, LocalLakeReader } from '../../src/ops/replay/verify/lake.ts';
import { GLUE } from '../../src/shared/resources.ts';
import { FakeAthena } from './fake-athena.ts';
import { lakeReaderContract } from './lake-reader.contract.ts';

lakeReaderContract(
  'local (DuckDB over the mirror)',
  async (lakeDir) => new LocalLakeReader(await LocalSqlEngine.open({ lakeDir, threads: 1 })),
);

lakeReaderContract('AWS (Athena over S3)', async (lakeDir, months) => {
  // the deduplicated view Athena runs, made once per day as the local engine's dedupe does
  await dedupeDays(lakeDir, { threads: 1 });
  const files = `${dedupedDir(lakeDir)}/*/*/*/readings.parquet`.replace(/'/g, "''");
  const athena = await FakeAthena.create(async (db) => {
    await db.run(
      `CREATE VIEW ${GLUE.viewName} AS SELECT * FROM read_parquet('${files}', hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`,
    );
  });
  const reader = new AthenaLakeReader(
    new AthenaSqlEngine({ athena: athena.client, sleep: async () => undefined }),
    months,
  );
  return {
    digests: () => reader.digests(),
    readingsOfDays: (days) => reader.readingsOfDays(days),
    close: async () => {
      await reader.close();
      athena.close();
    },
  };
});
