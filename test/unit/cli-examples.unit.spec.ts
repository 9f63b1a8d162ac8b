/** Every command has runnable examples in its --help, from the one list the README's tour is drawn from. */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../src/cli/examples.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { argsOf, readmeCommands } from '../support/examples.ts';

function commandPaths(c: Command, path: string[] = []): string[] {
  return c.commands.flatMap((sub) => [[...path, sub.name()].join(' '), ...commandPaths(sub, [...path, sub.name()])]);
}

/** The program with every action replaced by a no-op and exits turned into throws: parsing only. */
function parseOnly(): Command {
  const program = buildProgram();
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    for (const sub of c.commands) {
      if (sub.commands.length === 0 || sub.name() === 'dlq') sub.action(() => undefined);
      quiet(sub);
    }
  };
  quiet(program);
  return program;
}

describe('command examples', () => {
  const program = buildProgram();
  const paths = commandPaths(program);

  it('every command and subcommand has at least one, and every example belongs to a command', () => {
    expect(paths.filter((p) => !(EXAMPLES[p]?.length ?? 0))).toEqual([]);
    expect(Object.keys(EXAMPLES).filter((k) => !paths.includes(k))).toEqual([]);
    for (const [path, examples] of Object.entries(EXAMPLES))
      for (const e of examples) expect(argsOf(e).join(' ').startsWith(path), e).toBe(true);
  });

  it('each parses: known options, the arguments the command takes', async () => {
    for (const example of Object.values(EXAMPLES).flat())
      await expect(parseOnly().parseAsync(argsOf(example), { from: 'user' }), example).resolves.toBeDefined();
  });

  it("are what each command's --help ends with", async () => {
    for (const path of paths) {
      let help = '';
      const p = buildProgram();
      const quiet = (c: Command): void => {
        c.exitOverride().configureOutput({ writeOut: (s) => void (help += s), writeErr: () => undefined });
        c.commands.forEach(quiet);
      };
      quiet(p);
      await p.parseAsync([...path.split(' '), '--help'], { from: 'user' }).catch(() => undefined);
      expect(help, path).toContain(`Examples:\n${(EXAMPLES[path] ?? []).map((e) => `  $ ${e}`).join('\n')}\n`);
    }
  });

  it("the README's commands are examples from the list (one source: a README line is an example, or it is wrong)", () => {
    const all = new Set(Object.values(EXAMPLES).flat());
    const readme = readmeCommands();
    expect(readme.length).toBeGreaterThanOrEqual(8);
    expect(readme.filter((c) => !all.has(c))).toEqual([]);
  });
});
