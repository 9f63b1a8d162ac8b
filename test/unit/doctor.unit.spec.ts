/** `dubegrid doctor`: each check's failure path says what is wrong and how to fix it. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkAws,
  checkDataDir,
  checkDuckDb,
  checkLoopbackPorts,
  checkNode,
  checkRuntimeFile,
  pidAlive,
} from '../../src/ops/doctor/checks.ts';
import { tempDir } from '../support/tmp.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function dir(): Promise<string> {
  const t = await tempDir('dubegrid-doctor-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('doctor checks', () => {
  it('node: passes at the required major, fails below it with how to upgrade', () => {
    expect(checkNode('20.1.0', '>=20').status).toBe('ok');
    const old = checkNode('18.19.0', '>=20');
    expect(old).toMatchObject({ status: 'fail', detail: expect.stringContaining('18.19.0') });
    expect(old.fix).toMatch(/nvm install 20/);
  });

  it('loopback ports: a failing bind is a failure naming the reason', async () => {
    const refused = await checkLoopbackPorts(async () => {
      throw new Error('listen EADDRNOTAVAIL 127.0.0.1');
    });
    expect(refused).toMatchObject({ status: 'fail', detail: expect.stringContaining('EADDRNOTAVAIL') });
    expect(refused.fix).toMatch(/loopback/);
    expect((await checkLoopbackPorts()).status).toBe('ok'); // the real thing, on this machine
  });

  it('data dir: a file where the dir should be fails; a missing dir under a writable parent is fine', async () => {
    const d = await dir();
    await writeFile(join(d, 'afile'), 'x');
    const notDir = await checkDataDir(join(d, 'afile'));
    expect(notDir).toMatchObject({ status: 'fail', detail: expect.stringContaining('not a directory') });
    expect(notDir.fix).toMatch(/--data-dir/);
    expect(await checkDataDir(join(d, 'new', 'deeper'))).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('does not exist yet'),
    });
  });

  it.runIf(process.getuid?.() !== 0)('data dir: a read-only dir fails with a chmod/chown fix', async () => {
    const d = await dir();
    await mkdir(join(d, 'ro'));
    await chmod(join(d, 'ro'), 0o500);
    const ro = await checkDataDir(join(d, 'ro'));
    await chmod(join(d, 'ro'), 0o700);
    expect(ro).toMatchObject({ status: 'fail', detail: expect.stringContaining('not writable') });
    expect(ro.fix).toMatch(/chmod|chown/);
  });

  it('data dir: a write refused (as root on a read-only mount, say) fails with the error code', async () => {
    const d = await dir();
    const refused = await checkDataDir(d, async () => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    });
    expect(refused).toMatchObject({ status: 'fail', detail: `${d} is not writable: EROFS` });
    expect(refused.fix).toMatch(/chmod|chown/);
  });

  it('runtime.json: none is fine; a dead pid is a stale file (warn, rm it); a live pid whose endpoints are silent fails', async () => {
    const d = await dir();
    expect((await checkRuntimeFile(d)).status).toBe('ok');
    const file = join(d, 'runtime.json');
    await writeFile(file, JSON.stringify({ pid: 999_999, endpoints: { s3: 'http://127.0.0.1:1' } }));
    const stale = await checkRuntimeFile(d, { alive: () => false });
    expect(stale).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('pid 999999, which is not running'),
    });
    expect(stale.fix).toContain(`rm ${file}`);
    const reused = await checkRuntimeFile(d, { alive: () => true, reachable: async () => false });
    expect(reused).toMatchObject({ status: 'fail', detail: expect.stringContaining('do(es) not answer') });
    expect(reused.fix).toContain(`rm ${file}`);
    expect((await checkRuntimeFile(d, { alive: () => true, reachable: async () => true })).status).toBe('ok');
    await writeFile(file, '{"pid": 12');
    expect(await checkRuntimeFile(d)).toMatchObject({ status: 'fail', detail: expect.stringContaining('not JSON') });
  });

  it('pidAlive: this process is, nonsense is not', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(0)).toBe(false);
    expect(pidAlive(Number.NaN)).toBe(false);
  });

  it('duckdb: a binding that does not load fails with a reinstall fix', async () => {
    const broken = await checkDuckDb(async () => {
      throw new Error('Cannot find module duckdb.node\nrequire stack: …');
    });
    expect(broken).toMatchObject({ status: 'fail', detail: expect.stringMatching(/duckdb\.node$/) });
    expect(broken.fix).toMatch(/npm ci/);
  });

  it('aws: no region, no credentials, no account each fail with their fix', async () => {
    const results = await checkAws(
      {
        region: async () => undefined,
        credentials: async () => {
          throw new Error('Could not load credentials from any providers');
        },
        account: undefined,
      },
      'DUBEGRID_AWS_ACCOUNT',
    );
    expect(results.map((r) => [r.check, r.status])).toEqual([
      ['aws region', 'fail'],
      ['aws credentials', 'fail'],
      ['aws account', 'fail'],
    ]);
    expect(results[0]?.fix).toMatch(/AWS_REGION/);
    expect(results[1]?.fix).toMatch(/aws configure/);
    expect(results[2]?.fix).toMatch(/DUBEGRID_AWS_ACCOUNT/);
    const fine = await checkAws(
      { region: async () => 'eu-west-2', credentials: async () => ({ accessKeyId: 'AKIAEXAMPLE' }), account: '1' },
      'DUBEGRID_AWS_ACCOUNT',
    );
    expect(fine.every((r) => r.status === 'ok')).toBe(true);
    expect(fine[1]?.detail).not.toContain('AKIAEXAMPLE');
  });
});
