/**
 * `npm start` as a user runs it, for the console's browser tests and benchmark: the real
 * `dubegrid start` binary on a temp data dir with a small sample, staying up; resolved
 * once it prints the console URL with the token in its fragment (what a user clicks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI } from './cli.ts';
import { tempDir } from './tmp.ts';

export interface ConsoleRun {
  readonly dataDir: string;
  /** `http://127.0.0.1:PORT/#token=…` as printed. */
  readonly signInUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly token: string;
  /** The sample's assets.csv rows: substation and feeder ids. */
  readonly registry: readonly { substation: string; feeder: string }[];
  stop(): Promise<void>;
}

const URL_PRINTED = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([^\s]+)/;

export async function startConsoleRun(
  options: { substations?: number; days?: number; timeoutMs?: number } = {},
): Promise<ConsoleRun> {
  const { dir, cleanup } = await tempDir();
  const child = spawn(
    process.execPath,
    [
      CLI,
      'start',
      '--data-dir',
      dir,
      '--substations',
      String(options.substations ?? 1),
      '--days',
      String(options.days ?? 1),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const stop = async (): Promise<void> => {
    await exited(child);
    await cleanup();
  };
  try {
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`dubegrid start printed no console URL in time; stderr:\n${err.slice(-2000)}`)),
        options.timeoutMs ?? 180_000,
      );
      const look = (): void => {
        const m = URL_PRINTED.exec(out) ?? URL_PRINTED.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      child.stdout?.on('data', look);
      child.stderr?.on('data', look);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new Error(`dubegrid start exited (${code}) before printing the console URL; stderr:\n${err.slice(-2000)}`),
        );
      });
    });
    const csv = await readFile(join(dir, 'sample', 'assets.csv'), 'utf8');
    const [header = '', ...lines] = csv.trim().split('\n');
    const cols = header.split(',');
    const registry = lines.map((l) => {
      const cells = l.split(',');
      return {
        substation: cells[cols.indexOf('substation_number')] ?? '',
        feeder: cells[cols.indexOf('feeder_id')] ?? '',
      };
    });
    return {
      dataDir: dir,
      signInUrl: match[0],
      origin: match[1] ?? '',
      token: decodeURIComponent(match[2] ?? ''),
      registry,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Ctrl-C, as a user stops it; killed if it has not stopped within 30 s. */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}
