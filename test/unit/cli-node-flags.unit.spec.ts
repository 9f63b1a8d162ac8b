import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_NODE_FLAGS, cliArgv, shebangNodeFlags } from '../support/cli.ts';

/**
 * `dubegrid up`'s smaller young generation (docs/reliability.md → "Peak memory") is a V8
 * flag on the command line, written twice: in bin/dubegrid.js's shebang (`npx dubegrid`)
 * and in package.json's scripts (`npm start`). Tests and the soak suite start the CLI with
 * the shebang's flags; these keep the two places in step.
 */
describe('the Node flags the dubegrid CLI runs with', () => {
  it('reads the flags of an `env -S node` shebang, and none of a plain one', () => {
    expect(shebangNodeFlags('#!/usr/bin/env -S node --max-semi-space-size=8 --foo')).toEqual([
      '--max-semi-space-size=8',
      '--foo',
    ]);
    expect(shebangNodeFlags('#!/usr/bin/env node')).toEqual([]);
    expect(() => shebangNodeFlags('// no shebang')).toThrow(/shebang/);
  });

  it("gives the CLI a smaller young generation, and the tests' spawns the same flags", () => {
    expect(CLI_NODE_FLAGS).toContain('--max-semi-space-size=8');
    const argv = cliArgv(['up', '--quiet']);
    expect(argv.slice(0, CLI_NODE_FLAGS.length)).toEqual([...CLI_NODE_FLAGS]);
    expect(argv.slice(-3)).toEqual([expect.stringMatching(/bin\/dubegrid\.js$/), 'up', '--quiet']);
  });

  it('runs every npm script of the CLI with the flags of its shebang', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const cliScripts = Object.entries(pkg.scripts).filter(([, cmd]) => cmd.includes('bin/dubegrid.js'));
    expect(cliScripts.map(([name]) => name)).toEqual(expect.arrayContaining(['start', 'dubegrid']));
    for (const [name, cmd] of cliScripts) {
      expect(cmd, `npm run ${name}`).toMatch(/^node (.*)bin\/dubegrid\.js\b/);
      const flags = /^node (.*)bin\/dubegrid\.js\b/.exec(cmd)?.[1]?.trim().split(/\s+/) ?? [];
      expect(flags, `npm run ${name}`).toEqual([...CLI_NODE_FLAGS]);
    }
  });
});
