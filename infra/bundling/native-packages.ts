/**
 * Native packages beside a bundle: esbuild cannot bundle a `.node` addon, so a handler
 * that needs one (the compaction's DuckDB) keeps it external and gets the package —
 * with its dependencies and the prebuilt binary for Lambda's platform — copied from
 * the project's `node_modules` into `<bundle>/node_modules/`. No Docker, no network at
 * synth: the binary is the one the tests ran (docs/adr/0016-compaction-engine.md).
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The platform the functions with native packages run on (Lambda x86_64, glibc). */
export const NATIVE_PLATFORM = { os: 'linux', cpu: 'x64', libc: 'glibc' } as const;

export class NativePackageError extends Error {
  override name = 'NativePackageError';
}

interface PackageJson {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly libc?: readonly string[];
}

/**
 * The packages to ship for `names`: each with its dependencies, and of its optional
 * dependencies only those built for `NATIVE_PLATFORM` (the other platforms' binaries
 * are absent locally and useless on Lambda). Fails when a required package, or the
 * platform binary of a package that has per-platform builds, is not installed.
 */
export function nativeClosure(projectRoot: string, names: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const pkg = readPackage(projectRoot, name);
    if (!pkg) throw new NativePackageError(`${name} is not installed under ${join(projectRoot, 'node_modules')}`);
    seen.add(name);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
    const optional = Object.keys(pkg.optionalDependencies ?? {});
    const forPlatform = optional.filter((dep) => {
      const p = readPackage(projectRoot, dep);
      return p !== undefined && builtFor(p);
    });
    const wanted = optional.filter(
      (dep) => dep.includes(`${NATIVE_PLATFORM.os}-${NATIVE_PLATFORM.cpu}`) && !dep.endsWith('-musl'),
    );
    if (wanted.length && !forPlatform.length)
      throw new NativePackageError(
        `${name} has no ${NATIVE_PLATFORM.os}-${NATIVE_PLATFORM.cpu} binary installed (${wanted.join(', ')}): ` +
          `synthesize on linux-x64, or \`npm install --no-save --os=linux --cpu=x64 ${wanted.join(' ')}\``,
      );
    for (const dep of forPlatform) visit(dep);
  };
  for (const name of names) visit(name);
  return [...seen].sort();
}

/** Copies `nativeClosure(names)` into `<outDir>/node_modules/`; returns the packages copied. */
export function copyNativePackages(outDir: string, projectRoot: string, names: readonly string[]): string[] {
  const closure = nativeClosure(projectRoot, names);
  for (const name of closure)
    cpSync(join(projectRoot, 'node_modules', name), join(outDir, 'node_modules', name), {
      recursive: true,
      dereference: true,
    });
  return closure;
}

function readPackage(projectRoot: string, name: string): PackageJson | undefined {
  const file = join(projectRoot, 'node_modules', name, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PackageJson) : undefined;
}

function builtFor(p: PackageJson): boolean {
  const ok = (list: readonly string[] | undefined, value: string): boolean => !list || list.includes(value);
  return ok(p.os, NATIVE_PLATFORM.os) && ok(p.cpu, NATIVE_PLATFORM.cpu) && ok(p.libc, NATIVE_PLATFORM.libc);
}
