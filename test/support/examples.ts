/**
 * The `dubegrid` commands the project suggests, gathered from where a user meets them:
 * the examples list (every --help), the README's command lines, and the hints in the
 * CLI's own messages (string literals in src/, found with the TypeScript parser).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npx dubegrid query "SELECT 1" --json` → ['query', 'SELECT 1', '--json'] (the shell words after `dubegrid`). */
export function argsOf(command: string): string[] {
  const words = [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  const at = words.indexOf('dubegrid');
  if (at < 0) throw new Error(`not a dubegrid command: ${command}`);
  return words.slice(at + 1);
}

/** The README's `npx dubegrid …` lines in code blocks, trailing comments dropped. */
export function readmeCommands(): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const out: string[] = [];
  for (const block of text.matchAll(/```(?:bash|sh)?\n([\s\S]*?)```/g))
    for (const line of (block[1] ?? '').split('\n')) {
      const m = /^(npx dubegrid\b[^#]*?)\s*(?:#.*)?$/.exec(line.trim());
      if (m?.[1]) out.push(m[1]);
    }
  return out;
}

/** Backticked `dubegrid …` inside string and template literals of src/ (not comments), whole ones only. */
export function sourceHints(): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const visit = (n: ts.Node): void => {
          if (
            ts.isStringLiteral(n) ||
            ts.isNoSubstitutionTemplateLiteral(n) ||
            ts.isTemplateHead(n) ||
            ts.isTemplateMiddle(n) ||
            ts.isTemplateTail(n)
          )
            for (const m of n.text.matchAll(/`((?:npx )?dubegrid [^`]+)`/g)) found.add(m[1] as string);
          ts.forEachChild(n, visit);
        };
        visit(ts.createSourceFile(p, readFileSync(p, 'utf8'), ts.ScriptTarget.Latest, true));
      }
    }
  };
  walk(join(ROOT, 'src'));
  return [...found].sort();
}

/** Backticked `npx dubegrid …` in a command's output. */
export function hintsIn(text: string): string[] {
  return [...text.matchAll(/`((?:npx )?dubegrid [^`]+)`/g)].map((m) => m[1] as string);
}
