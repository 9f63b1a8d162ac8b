import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/dubegrid.js', import.meta.url));

export interface Launch {
  /** What `env` sets before starting node (`NAME=VALUE` before `node`). */
  readonly env: Readonly<Record<string, string>>;
  /** Node's own flags (after `node`). */
  readonly flags: readonly string[];
}

/** What a `#!/usr/bin/env -S [NAME=VALUE…] node [FLAG…]` line sets; nothing for a plain `node` one. */
export function parseLaunch(line: string, prefix: RegExp = /^#!\S*env(?:\s+-S)?\s+/): Launch {
  const rest = prefix.exec(line);
  if (!rest) throw new Error(`not a node shebang: ${line}`);
  const words = line.slice(rest[0].length).trim().split(/\s+/);
  const at = words.indexOf('node');
  const assignments = words.slice(0, Math.max(at, 0));
  if (at < 0 || !assignments.every((w) => /^[A-Za-z_]\w*=\S*$/.test(w))) throw new Error(`not a node shebang: ${line}`);
  const env = Object.fromEntries(assignments.map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { env, flags: words.slice(at + 1).filter((f) => f !== '') };
}

/** How bin/dubegrid.js's shebang runs every `npx dubegrid`: tests run it the same way. */
export const CLI_LAUNCH: Launch = parseLaunch(readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '');
export const CLI_NODE_FLAGS: readonly string[] = CLI_LAUNCH.flags;

/** The environment of `dubegrid` as the shebang starts it (its `env` settings win, as `env` does), plus `extra`. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...CLI_LAUNCH.env, ...extra };
}

/** `node` arguments for `dubegrid ARGS…` as a user's shell starts it (the shebang's flags first). */
export function cliArgv(args: readonly string[]): string[] {
  return [...CLI_NODE_FLAGS, CLI, ...args];
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `dubegrid` binary, as a user would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      cliArgv(args),
      { env: cliEnv(env), maxBuffer: 64 * 1024 * 1024, ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => {
        const code = err ? (((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}
