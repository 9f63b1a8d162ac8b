/** The real `dubegrid doctor` on this machine: healthy, a stale runtime.json, a data dir that cannot be. */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

describe('dubegrid doctor', () => {
  it('passes on this machine, warns of a stale runtime.json, and fails (exit 1, with a fix) on a data dir that is a file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // a pid that surely ended: a child that has exited
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      await writeFile(
        join(dir, 'runtime.json'),
        JSON.stringify({ pid: dead, endpoints: { s3: 'http://127.0.0.1:1' }, mode: 'up' }),
      );
      const run = await runCli(['doctor', '--json', '--data-dir', dir]);
      expect(run.code, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout);
      expect(doc.ok).toBe(true);
      const byName = Object.fromEntries(doc.checks.map((c: { check: string }) => [c.check, c]));
      for (const name of ['node', 'duckdb', 'loopback ports', 'data dir']) expect(byName[name].status).toBe('ok');
      expect(byName['runtime.json']).toMatchObject({ status: 'warn', fix: expect.stringContaining('rm ') });

      await writeFile(join(dir, 'file'), 'x');
      const bad = await runCli(['doctor', '--data-dir', join(dir, 'file')]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^data dir +FAIL +.*not a directory$/m);
      expect(bad.stdout).toMatch(/^fix data dir: .*--data-dir/m);
      expect(bad.stdout).toMatch(/1 check\(s\) failed/);
    } finally {
      await cleanup();
    }
  });
});
