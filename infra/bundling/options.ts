/**
 * How a handler becomes a Lambda bundle: esbuild (a local devDependency, so no
 * Docker), ESM output from the ESM TypeScript sources (`.ts` import specifiers
 * resolve as they are), everything bundled — the AWS SDK too, so Lambda runs the
 * SDK version the tests ran — except native packages: CLI-only ones are never
 * deployed, and a handler that declares one (`nativePackages`) gets it copied beside
 * its bundle (`native-packages.ts`).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LAMBDA_NODE_TARGET, SERVER_ONLY_PACKAGES } from './runtime.ts';

/** The hook script, relative to the project root (the bundling commands' working directory). */
const VENDOR_SCRIPT = 'infra/bundling/vendor-required.ts';
/** The built-in mapping files, read at run time from `mappings/` beside the bundle (src/producers/splitter/mapping/builtin.ts). */
const BUILTIN_MAPPINGS = 'src/producers/splitter/mappings';

/**
 * `native`: packages the handler loads that carry a native addon (`FunctionDefinition.
 * nativePackages`): external to esbuild, copied beside the bundle by the hook.
 */
export function handlerBundling(native: readonly string[] = []): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: LAMBDA_NODE_TARGET,
    // Prefer packages' ESM builds: smaller bundles, no CommonJS interop shims.
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    externalModules: [...SERVER_ONLY_PACKAGES],
    // CommonJS dependencies inside an ESM bundle call `require` for Node built-ins;
    // ESM has no `require`, so give the bundle one.
    banner:
      "import { createRequire as __dubegridCreateRequire } from 'node:module'; const require = __dubegridCreateRequire(import.meta.url);",
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        [
          'node --import tsx',
          JSON.stringify(VENDOR_SCRIPT),
          JSON.stringify(outputDir),
          ...native.map((n) => `--native ${JSON.stringify(n)}`),
        ].join(' '),
        `node -e "require('node:fs').cpSync(process.argv[1], process.argv[2], { recursive: true })" ${JSON.stringify(BUILTIN_MAPPINGS)} ${JSON.stringify(`${outputDir}/mappings`)}`,
      ],
    },
  };
}

export class MissingHandlerError extends Error {
  override name = 'MissingHandlerError';
}

/**
 * Fails synthesis naming every handler entry that does not exist, instead of
 * deploying a stub or failing deep inside NodejsFunction.
 */
export function assertEntriesExist(
  projectRoot: string,
  entries: Readonly<Record<string, { readonly entry: string }>>,
): void {
  const missing = Object.entries(entries).filter(([, def]) => !existsSync(join(projectRoot, def.entry)));
  if (missing.length) {
    const list = missing.map(([name, def]) => `${def.entry} (${name})`).join(', ');
    throw new MissingHandlerError(
      `cannot synthesize: handler entr${missing.length === 1 ? 'y' : 'ies'} missing under ${relative(process.cwd(), projectRoot) || '.'}: ${list}. ` +
        'Each must export `handler` (see src/shared/functions.ts).',
    );
  }
}
