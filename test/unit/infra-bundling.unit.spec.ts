import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/project.ts';
import { MissingHandlerError, assertEntriesExist, handlerBundling } from '../../infra/bundling/options.ts';
import {
  BundleCheckError,
  requiredPackages,
  serverOnlyReferences,
  vendorRequiredPackages,
} from '../../infra/bundling/required-packages.ts';
import { FUNCTIONS } from '../../src/shared/functions.ts';
import { NativePackageError, nativeClosure } from '../../infra/bundling/native-packages.ts';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import type { rewritePartition } from '../../src/lake/compaction/rewrite.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { reading } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

describe('handler bundling options', () => {
  const options = handlerBundling();

  it('emits an ESM bundle for the Node.js 22 runtime, bundling everything but the CLI-only native package', () => {
    expect(options.format).toBe(OutputFormat.ESM);
    expect(options.target).toBe('node22');
    expect(options.externalModules).toEqual(['@duckdb/node-api']);
    expect(options.forceDockerBundling).toBe(false);
    expect(options.banner).toMatch(/createRequire.*import\.meta\.url/);
  });

  it('runs the vendoring hook, which exists, after esbuild', () => {
    const [command] = options.commandHooks?.afterBundling('/in', '/out/dir') ?? [];
    expect(command).toBe('node --import tsx "infra/bundling/vendor-required.ts" "/out/dir"');
    expect(existsSync(join(PROJECT_ROOT, 'infra/bundling/vendor-required.ts'))).toBe(true);
  });
});

describe('packages loaded through createRequire', () => {
  it('are found in a minified bundle however createRequire was renamed', () => {
    const bundle =
      'import{createRequire as VV}from"node:module";var SI=VV(import.meta.url)("aws-kinesis-agg");' +
      "const x=(0,m.createRequire)( import.meta.url )('@scope/pkg');const y=q(import.meta.url)(\"node:fs\");const z=q(import.meta.url)('./local.cjs');";
    expect(requiredPackages(bundle)).toEqual(['@scope/pkg', 'aws-kinesis-agg']);
  });

  it('flag a bundle that imports the CLI-only DuckDB package', () => {
    expect(serverOnlyReferences('import{DuckDBInstance}from"@duckdb/node-api";')).toEqual(['@duckdb/node-api']);
    expect(serverOnlyReferences('import{x}from"@aws-sdk/client-s3";')).toEqual([]);
  });
});

describe('a real ESM bundle of the KPL code (src/shared/kpl.ts)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('dubegrid-infra-bundle-'));
  });
  afterAll(async () => cleanup());

  it('runs once the vendoring hook put aws-kinesis-agg next to it', async () => {
    // GIVEN an entry like a consumer's: KPL aggregation and de-aggregation
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { KeyedAggregator, deaggregate } from ${JSON.stringify(join(PROJECT_ROOT, 'src/shared/kpl.ts'))};\n` +
        `export const handler = async () => {\n` +
        `  const agg = new KeyedAggregator();\n` +
        `  for (const v of ['a', 'b', 'c']) agg.add('LV1', Buffer.from(v));\n` +
        `  const [record] = agg.flush();\n` +
        `  return deaggregate({ data: record.data, partitionKey: 'LV1', sequenceNumber: '1' }).map((r) => r.data.toString());\n` +
        `};\n`,
    );
    const o = handlerBundling();
    const outDir = join(dir, 'asset');
    mkdirSync(outDir);
    // WHEN esbuild bundles it with the handlers' options, then the hook runs
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      // esbuild's options take no `undefined`: the ones handlerBundling() leaves unset stay absent
      ...(o.target === undefined ? {} : { target: o.target }),
      ...(o.mainFields === undefined ? {} : { mainFields: o.mainFields }),
      ...(o.minify === undefined ? {} : { minify: o.minify }),
      ...(o.externalModules === undefined ? {} : { external: o.externalModules }),
      banner: { js: o.banner ?? '' },
      outfile: join(outDir, 'index.mjs'),
      logLevel: 'silent',
    });
    expect(await vendorRequiredPackages(outDir, PROJECT_ROOT)).toEqual(['aws-kinesis-agg']);

    // THEN the bundle loads aws-kinesis-agg from its own node_modules and round-trips records
    expect(existsSync(join(outDir, 'node_modules/aws-kinesis-agg/index.js'))).toBe(true);
    const mod = (await import(pathToFileURL(join(outDir, 'index.mjs')).href)) as { handler: () => Promise<string[]> };
    expect(await mod.handler()).toEqual(['a', 'b', 'c']);
  });

  it('fails the hook when a bundle imports the CLI-only DuckDB package', async () => {
    const outDir = join(dir, 'duck');
    mkdirSync(outDir);
    writeFileSync(
      join(outDir, 'index.mjs'),
      'import{DuckDBInstance}from"@duckdb/node-api";export const handler=()=>DuckDBInstance;',
    );
    await expect(vendorRequiredPackages(outDir, PROJECT_ROOT)).rejects.toThrow(BundleCheckError);
    await expect(vendorRequiredPackages(outDir, PROJECT_ROOT)).rejects.toThrow(/@duckdb\/node-api: CLI-only/);
  });
});

describe('a handler with a native package (the compaction and DuckDB)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('dubegrid-infra-native-'));
  });
  afterAll(async () => cleanup());

  it('ships the package, its dependencies and only the linux-x64 glibc binary', () => {
    expect(nativeClosure(PROJECT_ROOT, ['@duckdb/node-api'])).toEqual([
      '@duckdb/node-api',
      '@duckdb/node-bindings',
      '@duckdb/node-bindings-linux-x64',
      'detect-libc',
    ]);
    expect(() => nativeClosure(PROJECT_ROOT, ['no-such-package'])).toThrow(NativePackageError);
  });

  it('keeps it out of esbuild and passes it to the hook', () => {
    const o = handlerBundling(FUNCTIONS.compaction.nativePackages);
    expect(o.externalModules).toContain('@duckdb/node-api');
    expect(o.commandHooks?.afterBundling('/in', '/out')).toEqual([
      'node --import tsx "infra/bundling/vendor-required.ts" "/out" --native "@duckdb/node-api"',
      // every bundle carries the built-in mappings (a few KiB of YAML), read beside the bundle at run time
      expect.stringContaining('"src/producers/splitter/mappings" "/out/mappings"'),
    ]);
  });

  it('a bundle of the compaction rewrite runs DuckDB from the packages copied beside it', async () => {
    // GIVEN the rewrite bundled with the handlers' options, then the hook with the declared native package
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `export { rewritePartition } from ${JSON.stringify(join(PROJECT_ROOT, 'src/lake/compaction/rewrite.ts'))};\n`,
    );
    const o = handlerBundling(FUNCTIONS.compaction.nativePackages);
    const outDir = join(dir, 'asset');
    mkdirSync(outDir);
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      ...(o.target === undefined ? {} : { target: o.target }),
      ...(o.externalModules === undefined ? {} : { external: o.externalModules }),
      banner: { js: o.banner ?? '' },
      outfile: join(outDir, 'index.mjs'),
      logLevel: 'silent',
    });
    expect(await vendorRequiredPackages(outDir, PROJECT_ROOT, ['@duckdb/node-api'])).toContain(
      '@duckdb/node-bindings-linux-x64',
    );
    // WHEN it rewrites a Parquet file (written by the lake writer) of one partition
    const writer = await DuckDbParquetWriter.open();
    const rows = [3, 1, 2].map((k) =>
      reading({ substation: 'LV1', feeder: '01', measurement: 'l1_current', ts: `2025-08-01T0${k}:00:00Z`, value: k }),
    );
    writeFileSync(join(dir, 'in.parquet'), await writer.write([...rows, rows[0] as ReadingEvent]));
    await writer.close();
    mkdirSync(join(dir, 'spill'));
    const mod = (await import(pathToFileURL(join(outDir, 'index.mjs')).href)) as {
      rewritePartition: typeof rewritePartition;
    };
    const out = await mod.rewritePartition(
      { y: '2025', m: '08', d: '01' },
      [join(dir, 'in.parquet')],
      join(dir, 'out'),
      {
        tempDir: join(dir, 'spill'),
        threads: 1,
      },
    );
    // THEN the duplicate is gone
    expect(out).toMatchObject({ rowsIn: 4, rowsOut: 3 });
  });
});

describe('handler entries', () => {
  it('all exist in this repository (synthesis would fail otherwise)', () => {
    expect(() => assertEntriesExist(PROJECT_ROOT, FUNCTIONS)).not.toThrow();
  });

  it('fail synthesis naming every missing one', async () => {
    const { dir, cleanup } = await tempDir('dubegrid-infra-entries-');
    try {
      mkdirSync(join(dir, 'src/consumers/state'), { recursive: true });
      writeFileSync(join(dir, FUNCTIONS.state.entry), 'export const handler = () => undefined;');
      let error: unknown;
      try {
        assertEntriesExist(dir, FUNCTIONS);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(MissingHandlerError);
      const message = (error as Error).message;
      for (const key of ['splitter', 'anomaly', 'outbox', 'registry'] as const)
        expect(message).toContain(`${FUNCTIONS[key].entry} (${key})`);
      expect(message).not.toContain(FUNCTIONS.state.entry);
    } finally {
      await cleanup();
    }
  });
});
