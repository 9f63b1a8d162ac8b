/** Runs the doctor's checks for a target: the machine's, then the target's own. */
import { S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { ENV } from '../../shared/functions.ts';
import {
  checkAws,
  checkDataDir,
  checkDuckDb,
  checkLoopbackPorts,
  checkNode,
  checkRuntimeFile,
  type CheckResult,
} from './checks.ts';

export interface DoctorOptions {
  readonly target: 'local' | 'aws';
  readonly dataDir: string;
  /** The region `--target aws` would use (the CLI's own lookup). */
  readonly awsRegion: () => Promise<string | undefined>;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [checkNode(process.versions.node, await requiredNode()), await checkDuckDb()];
  if (options.target === 'local') {
    checks.push(
      await checkLoopbackPorts(),
      await checkDataDir(options.dataDir),
      await checkRuntimeFile(options.dataDir),
    );
  } else {
    checks.push(
      ...(await checkAws(
        {
          region: options.awsRegion,
          credentials: async (region) => {
            const client = new S3Client({ region });
            try {
              return await client.config.credentials();
            } finally {
              client.destroy();
            }
          },
          account: process.env[ENV.awsAccount] || undefined,
        },
        ENV.awsAccount,
      )),
    );
  }
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** package.json's `engines.node`, the one statement of the Node version needed. */
async function requiredNode(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    engines?: { node?: string };
  };
  return pkg.engines?.node ?? '>=20';
}
