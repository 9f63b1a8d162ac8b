/**
 * The `afterBundling` hook of every handler bundle (run by `cdk synth` through
 * `node --import tsx`): `node --import tsx infra/bundling/vendor-required.ts <outDir>
 * [--native <package>]…`.
 */
import { vendorRequiredPackages } from './required-packages.ts';

const [outDir, ...rest] = process.argv.slice(2);
const native = rest.flatMap((a, i) => (rest[i - 1] === '--native' ? [a] : []));
if (!outDir) {
  console.error('usage: vendor-required.ts <bundle output dir> [--native <package>]…');
  process.exit(2);
}
try {
  const vendored = await vendorRequiredPackages(outDir, process.cwd(), native);
  if (vendored.length) console.error(`vendored beside the bundle: ${vendored.join(', ')}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
