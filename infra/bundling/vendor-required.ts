/**
 * The `afterBundling` hook of every handler bundle (run by `cdk synth` through
 * `node --import tsx`): `node --import tsx infra/bundling/vendor-required.ts <outDir>`.
 */
import { vendorRequiredPackages } from './required-packages.ts';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: vendor-required.ts <bundle output dir>');
  process.exit(2);
}
try {
  const vendored = await vendorRequiredPackages(outDir, process.cwd());
  if (vendored.length) console.error(`vendored for createRequire: ${vendored.join(', ')}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
