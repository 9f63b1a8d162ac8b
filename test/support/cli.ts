import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/dubegrid.js', import.meta.url));

/** The Node flags of a `#!/usr/bin/env -S node FLAG…` line; none for a plain `node` one. */
export function shebangNodeFlags(firstLine: string): string[] {
  const m = /^#!\S*env(?:\s+-S)?\s+node((?:\s+\S+)*)\s*$/.exec(firstLine);
  if (!m) throw new Error(`not a node shebang: ${firstLine}`);
  return (m[1] ?? '').split(/\s+/).filter((f) => f !== '');
}

/** The flags bin/dubegrid.js's shebang runs every `npx dubegrid` with: tests run it the same way. */
export const CLI_NODE_FLAGS: readonly string[] = shebangNodeFlags(readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '');

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
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => {
        const code = err ? (((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}
