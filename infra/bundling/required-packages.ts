/**
 * Packages a bundle loads through `createRequire(import.meta.url)('<name>')`. esbuild
 * cannot follow that call (it is an ordinary function call to it), so such a package is
 * missing from the bundle and Node looks for it in `node_modules` next to the handler
 * at run time. `vendorRequiredPackages` puts each one there, pre-bundled as CommonJS.
 * (`src/shared/kpl.ts` loads `aws-kinesis-agg` this way.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { copyNativePackages } from './native-packages.ts';
import { LAMBDA_NODE_TARGET, SERVER_ONLY_PACKAGES } from './runtime.ts';

/** `X(import.meta.url)("pkg")`, however the minifier renamed `createRequire`. */
const CREATE_REQUIRE_CALL = /\(\s*import\.meta\.url\s*\)\s*\(\s*(["'`])([^"'`]+)\1\s*\)/g;

export function requiredPackages(bundle: string): string[] {
  const names = new Set<string>();
  for (const m of bundle.matchAll(CREATE_REQUIRE_CALL)) {
    const name = m[2] as string;
    if (!name.startsWith('node:') && !name.startsWith('.')) names.add(name);
  }
  return [...names].sort();
}

/**
 * Server-only packages a handler bundle must not reference: they are excluded from
 * bundles and absent on Lambda — unless the handler declares them (`shipped`), which
 * puts them beside its bundle.
 */
export function serverOnlyReferences(bundle: string, shipped: readonly string[] = []): string[] {
  return SERVER_ONLY_PACKAGES.filter(
    (name) => !shipped.includes(name) && (bundle.includes(`"${name}"`) || bundle.includes(`'${name}'`)),
  );
}

export class BundleCheckError extends Error {
  override name = 'BundleCheckError';
}

/**
 * After esbuild wrote `<outDir>/index.mjs`: fail on a server-only import, and vendor
 * every `createRequire`-loaded package into `<outDir>/node_modules/<name>/index.js`.
 */
export async function vendorRequiredPackages(
  outDir: string,
  projectRoot: string,
  native: readonly string[] = [],
): Promise<string[]> {
  const bundlePath = join(outDir, 'index.mjs');
  if (!existsSync(bundlePath)) throw new BundleCheckError(`no bundle at ${bundlePath}`);
  const bundle = readFileSync(bundlePath, 'utf8');
  const forbidden = serverOnlyReferences(bundle, native);
  if (forbidden.length) {
    throw new BundleCheckError(
      `${bundlePath} imports ${forbidden.join(', ')}: CLI-only (native) package(s) that Lambda does not have; a handler must not import them`,
    );
  }
  const resolve = createRequire(join(projectRoot, 'package.json')).resolve;
  const vendored = requiredPackages(bundle);
  for (const name of vendored) {
    await build({
      entryPoints: [resolve(name)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: LAMBDA_NODE_TARGET,
      minify: true,
      outfile: join(outDir, 'node_modules', name, 'index.js'),
      logLevel: 'warning',
    });
  }
  return [...vendored, ...copyNativePackages(outDir, projectRoot, native)];
}
