import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HOST_MALLOC_MMAP_THRESHOLD } from '../../src/local/emulator-process.ts';
import { CLI_LAUNCH, CLI_NODE_FLAGS, cliArgv, cliEnv, parseLaunch } from '../support/cli.ts';

/**
 * How `dubegrid` is started (docs/reliability.md → "Peak memory", "Fourth pass"): a V8 flag
 * (the smaller young generation) and glibc's fixed mmap threshold, written twice: in
 * bin/dubegrid.js's shebang (`npx dubegrid`) and in package.json's scripts (`npm start`).
 * Tests and the soak suite start the CLI as the shebang does; these keep the places in step.
 */
describe('how the dubegrid CLI is started', () => {
  it('reads the settings and flags of an `env -S … node` shebang, and none of a plain one', () => {
    expect(parseLaunch('#!/usr/bin/env -S node --max-semi-space-size=8 --foo')).toEqual({
      env: {},
      flags: ['--max-semi-space-size=8', '--foo'],
    });
    expect(parseLaunch('#!/usr/bin/env -S A_B=1 C= node --x')).toEqual({ env: { A_B: '1', C: '' }, flags: ['--x'] });
    expect(parseLaunch('#!/usr/bin/env node')).toEqual({ env: {}, flags: [] });
    expect(() => parseLaunch('// no shebang')).toThrow(/shebang/);
    expect(() => parseLaunch('#!/usr/bin/env -S --not-an-assignment node')).toThrow(/shebang/);
  });

  it("gives the CLI a smaller young generation and a fixed mmap threshold, and the tests' spawns the same", () => {
    expect(CLI_NODE_FLAGS).toContain('--max-semi-space-size=8');
    // the same threshold as the emulator host's, which `up` forks with it
    expect(CLI_LAUNCH.env).toEqual({ MALLOC_MMAP_THRESHOLD_: HOST_MALLOC_MMAP_THRESHOLD });
    const argv = cliArgv(['up', '--quiet']);
    expect(argv.slice(0, CLI_NODE_FLAGS.length)).toEqual([...CLI_NODE_FLAGS]);
    expect(argv.slice(-3)).toEqual([expect.stringMatching(/bin\/dubegrid\.js$/), 'up', '--quiet']);
    expect(cliEnv({ EXTRA: 'x' })).toMatchObject({ MALLOC_MMAP_THRESHOLD_: '262144', EXTRA: 'x' });
  });

  it('runs every npm script of the CLI with the settings and flags of its shebang', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const cliScripts = Object.entries(pkg.scripts).filter(([, cmd]) => cmd.includes('bin/dubegrid.js'));
    expect(cliScripts.map(([name]) => name)).toEqual(expect.arrayContaining(['start', 'dubegrid']));
    for (const [name, cmd] of cliScripts) {
      const launch = /^(.*?)\s*bin\/dubegrid\.js\b/.exec(cmd)?.[1] ?? '';
      expect(parseLaunch(launch, /^/), `npm run ${name}`).toEqual(CLI_LAUNCH);
    }
  });
});
