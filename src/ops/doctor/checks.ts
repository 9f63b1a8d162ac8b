/**
 * `dubegrid doctor`: what usually goes wrong on a new machine, each check a small
 * function over injected probes (so every failure path is testable without breaking
 * the machine), each failure saying how to fix it.
 */
import { access, constants, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';

/** `ok`; `warn`: worth knowing, nothing fails because of it; `fail`: a command will fail. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about it (set unless ok). */
  readonly fix?: string | undefined;
}

const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });

/** `>=20` (package.json's engines) against `process.versions.node`. */
export function checkNode(version: string, required: string): CheckResult {
  const min = Number(/(\d+)/.exec(required)?.[1] ?? 0);
  const major = Number(version.split('.')[0]);
  if (major >= min) return ok('node', `Node ${version} (needs ${required})`);
  return {
    check: 'node',
    status: 'fail',
    detail: `Node ${version} is older than the ${required} DubeGrid needs`,
    fix: `install Node ${min} or newer (e.g. \`nvm install ${min}\`), then \`npm ci\` again`,
  };
}

/** Binds `host:0`, returning the port the system gave. */
export type Listen = (host: string) => Promise<number>;

export const listenOnce: Listen = (host) =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** The embedded stack listens on free loopback ports: three emulators and its control endpoint. */
export const STACK_PORTS = 4;
export const LOOPBACK = '127.0.0.1';

export async function checkLoopbackPorts(listen: Listen = listenOnce, needed = STACK_PORTS): Promise<CheckResult> {
  const ports: number[] = [];
  try {
    for (let i = 0; i < needed; i++) ports.push(await listen(LOOPBACK));
  } catch (err) {
    return {
      check: 'loopback ports',
      status: 'fail',
      detail: `cannot listen on ${LOOPBACK}: ${(err as Error).message}`,
      fix: 'the embedded stack binds free ports on 127.0.0.1: bring the loopback interface up (`ip link set lo up`), allow binding in your sandbox/container, or free ephemeral ports (`ss -tan | wc -l`)',
    };
  }
  return ok('loopback ports', `${LOOPBACK} gives free ports (tried ${needed}: ${ports.join(', ')})`);
}

/** The data dir (or, before the first run, the nearest existing parent) is a writable directory. */
export async function checkDataDir(dataDir: string, probeWrite = writeProbe): Promise<CheckResult> {
  const check = 'data dir';
  let dir = dataDir;
  while (!(await exists(dir))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    return {
      check,
      status: 'fail',
      detail: `${dir} is not a directory`,
      fix: `remove or rename ${dir}, or choose another data dir with --data-dir DIR`,
    };
  try {
    await probeWrite(dir);
  } catch (err) {
    return {
      check,
      status: 'fail',
      detail: `${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      fix: `make it yours (\`chown -R $(id -u) ${dir}\` or \`chmod u+rwx ${dir}\`), or choose another data dir with --data-dir DIR`,
    };
  }
  return ok(
    check,
    dir === dataDir ? `${dataDir} is writable` : `${dataDir} does not exist yet; ${dir} is writable, so it can be made`,
  );
}

/** Can this process create a file in `dir`? (access() says yes to root on a read-only mount: write one.) */
async function writeProbe(dir: string): Promise<void> {
  await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  const probe = join(dir, `.dubegrid-doctor-${process.pid}`);
  await writeFile(probe, '');
  await rm(probe, { force: true });
}

/** Whether a pid is a live process (EPERM: it is, but someone else's). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether something accepts TCP connections at an `http://host:port` URL. */
export function answers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const done = (yes: boolean): void => {
      socket.destroy();
      resolve(yes);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface RuntimeProbes {
  readonly alive?: ((pid: number) => boolean) | undefined;
  readonly reachable?: ((url: string) => Promise<boolean>) | undefined;
}

/**
 * A runtime.json left by a killed stack: harmless when its pid is dead (commands ignore
 * it), but when the pid was reused by another process, commands would attach to
 * endpoints nobody serves.
 */
export async function checkRuntimeFile(dataDir: string, probes: RuntimeProbes = {}): Promise<CheckResult> {
  const check = 'runtime.json';
  const file = join(dataDir, 'runtime.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return ok(check, 'no stack is running on the data dir (no runtime.json)');
  }
  let info: { pid?: unknown; endpoints?: Record<string, unknown> };
  try {
    info = JSON.parse(text) as typeof info;
  } catch {
    return {
      check,
      status: 'fail',
      detail: `${file} is not JSON (a write cut short?)`,
      fix: `stop any \`dubegrid up\` on this data dir, then \`rm ${file}\``,
    };
  }
  const pid = Number(info.pid);
  if (!(probes.alive ?? pidAlive)(pid))
    return {
      check,
      status: 'warn',
      detail: `${file} names pid ${String(info.pid)}, which is not running: a stack was killed without a clean stop (commands ignore the file)`,
      fix: `\`rm ${file}\` (or just run \`dubegrid up\`: it replaces the file)`,
    };
  const urls = Object.values(info.endpoints ?? {}).filter((u): u is string => typeof u === 'string');
  const reachable = probes.reachable ?? ((u: string) => answers(u));
  const dead = [];
  for (const url of urls) if (!(await reachable(url))) dead.push(url);
  if (dead.length)
    return {
      check,
      status: 'fail',
      detail: `${file} names pid ${pid}, which runs, but ${dead.join(', ')} do(es) not answer: the pid was probably reused after the stack was killed, and commands would fail to connect`,
      fix: `check \`ps -p ${pid}\` is not a dubegrid stack, then \`rm ${file}\``,
    };
  return ok(check, `a stack runs on the data dir (pid ${pid}) and its endpoints answer`);
}

/** Loads DuckDB's native binding and runs one statement. */
export async function duckDbLoads(): Promise<string> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    const reader = await c.runAndReadAll('SELECT version() AS v');
    return String(reader.getRowObjects()[0]?.v ?? '');
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

export async function checkDuckDb(load: () => Promise<string> = duckDbLoads): Promise<CheckResult> {
  try {
    return ok('duckdb', `DuckDB ${await load()} loads (its native binding for ${process.platform}-${process.arch})`);
  } catch (err) {
    return {
      check: 'duckdb',
      status: 'fail',
      detail: `DuckDB's native binding does not load: ${firstLine(err)}`,
      fix: `query, report and the lake writer need it: reinstall with \`rm -rf node_modules && npm ci\` on this machine (the binding is per platform; ${process.platform}-${process.arch} here, glibc Linux, macOS or Windows)`,
    };
  }
}

export interface AwsProbes {
  /** The region the CLI would use, or undefined. */
  readonly region: () => Promise<string | undefined>;
  /** Resolves the SDK's default credential chain; rejects when there are none. */
  readonly credentials: (region: string) => Promise<{ accessKeyId: string }>;
  readonly account: string | undefined;
}

/** For `--target aws`: a region, credentials the SDK finds, and the deployment's account id. */
export async function checkAws(probes: AwsProbes, accountEnv: string): Promise<CheckResult[]> {
  const region = await probes.region().catch(() => undefined);
  const out: CheckResult[] = [
    region
      ? ok('aws region', region)
      : {
          check: 'aws region',
          status: 'fail',
          detail: 'no region: neither AWS_REGION, AWS_DEFAULT_REGION nor the AWS profile sets one',
          fix: '`export AWS_REGION=eu-west-2` (the region you deployed to), or `aws configure set region eu-west-2`',
        },
  ];
  try {
    const creds = await probes.credentials(region ?? 'us-east-1');
    out.push(ok('aws credentials', `found (access key ${creds.accessKeyId.slice(0, 4)}…)`));
  } catch (err) {
    out.push({
      check: 'aws credentials',
      status: 'fail',
      detail: `the AWS SDK finds no credentials: ${firstLine(err)}`,
      fix: '`aws configure` (or `aws sso login --profile P` and `export AWS_PROFILE=P`, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)',
    });
  }
  out.push(
    probes.account
      ? ok('aws account', `${accountEnv}=${probes.account}`)
      : {
          check: 'aws account',
          status: 'fail',
          detail: `${accountEnv} is not set: the CLI names the bucket dubegrid-<account>-<region> from it`,
          fix: `\`export ${accountEnv}=$(aws sts get-caller-identity --query Account --output text)\` (the account you deployed to)`,
        },
  );
  return out;
}

const firstLine = (err: unknown): string => ((err as Error)?.message ?? String(err)).split('\n')[0] ?? '';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
