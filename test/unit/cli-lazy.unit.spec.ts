/**
 * Building the program (for `--help`, or to run one command) loads the registrations
 * only: every command's implementation is a dynamic `import()` in its action, so the
 * AWS SDK, DuckDB and the emulators load only for the command that needs them
 * (docs/adr/0019-lazy-command-loading.md). Checked on the static import graph from
 * program.ts, as Node would load it: `import type` is skipped (erased), a dynamic
 * `import()` is not followed (it runs only in an action). How long start-up takes is
 * measured by `npm run bench -- status`, not here.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROGRAM = resolve(ROOT, 'src/cli/program.ts');

/** Packages building the program may load: commander, and Node's own modules. */
const ALLOWED_PACKAGES = ['commander'];

/** The specifiers a file imports when Node loads it: value imports and re-exports, not types, not `import()`. */
function staticSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const out: string[] = [];
  for (const s of source.statements) {
    if (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly && ts.isStringLiteral(s.moduleSpecifier))
      out.push(s.moduleSpecifier.text);
    if (ts.isExportDeclaration(s) && !s.isTypeOnly && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier))
      out.push(s.moduleSpecifier.text);
  }
  return out;
}

const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Every source file and package reached from `entry` by static imports. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of staticSpecifiers(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(packageOf(spec));
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the CLI loads a command only when it runs', () => {
  const graph = staticGraph(PROGRAM);

  it('building the program loads no package but commander: no AWS SDK, DuckDB, emulator, esbuild', () => {
    expect([...graph.packages].filter((p) => !ALLOWED_PACKAGES.includes(p))).toEqual([]);
  });

  it('nor any command implementation (src/cli/commands/), nor the embedded stack or the clients', () => {
    const reached = [...graph.files].map((f) => relative(ROOT, f));
    expect(reached.filter((f) => f.startsWith('src/cli/commands/'))).toEqual([]);
    expect(reached).not.toContain('src/local/stack.ts');
    expect(reached).not.toContain('src/shared/clients.ts');
    expect(reached).toContain('src/cli/register/status.ts');
  });

  it('status attached to `up` loads no AWS SDK: the running stack measures its resources (control /resources)', () => {
    const status = staticGraph(resolve(ROOT, 'src/cli/commands/status.ts'));
    expect([...status.packages].filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/'))).toEqual([]);
    expect([...status.files].map((f) => relative(ROOT, f))).not.toContain('src/shared/clients.ts');
  });

  it('while the implementations do load them (the graph is followed, so the checks above can fail)', () => {
    const status = staticGraph(resolve(ROOT, 'src/ops/status.ts'));
    expect([...status.packages]).toEqual(expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-s3']));
    expect(staticGraph(resolve(ROOT, 'src/cli/commands/query.ts')).packages).toContain('@duckdb/node-api');
  });
});
