/** The client factory's AWS side, built without reaching AWS (nothing here sends a request). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { profileRegion } from '../../src/cli/context.ts';
import { AWS_KINESIS_RETRY, createClients } from '../../src/shared/clients.ts';
import { ENV } from '../../src/shared/functions.ts';
import { tempDir } from '../support/tmp.ts';

afterEach(() => vi.unstubAllEnvs());

describe('createClients({ target: "aws" })', () => {
  it('derives the names from the account and region, and retries Kinesis throttling adaptively', async () => {
    const clients = createClients({ target: 'aws', region: 'eu-west-2', account: '123456789012' });
    expect(clients.target).toBe('aws');
    expect(clients.names.bucket).toBe('dubegrid-123456789012-eu-west-2');
    expect(await clients.kinesis.config.region()).toBe('eu-west-2');
    expect(await clients.kinesis.config.maxAttempts()).toBe(AWS_KINESIS_RETRY.maxAttempts);
    const mode = clients.kinesis.config.retryMode;
    expect(typeof mode === 'string' ? mode : await mode()).toBe('adaptive');
    expect(await clients.s3.config.maxAttempts()).toBe(3); // the SDK's default elsewhere
  });

  it('reads the account from the environment, and says which variable is missing', () => {
    vi.stubEnv('AWS_REGION', 'eu-west-2');
    vi.stubEnv(ENV.awsAccount, '210987654321');
    expect(createClients({ target: 'aws' }).names.bucket).toBe('dubegrid-210987654321-eu-west-2');
    vi.stubEnv(ENV.awsAccount, '');
    expect(() => createClients({ target: 'aws' })).toThrow(`set ${ENV.awsAccount}`);
  });
});

describe("the CLI's AWS region", () => {
  it('comes from the AWS profile in use when AWS_REGION is not set, as the SDK finds it', async () => {
    const { dir, cleanup } = await tempDir('dubegrid-aws-config-');
    try {
      const config = join(dir, 'config');
      await writeFile(config, '[default]\nregion = eu-west-1\n[profile ops]\nregion = us-east-2\n');
      vi.stubEnv('AWS_REGION', undefined);
      vi.stubEnv('AWS_DEFAULT_REGION', undefined);
      vi.stubEnv('AWS_CONFIG_FILE', config);
      vi.stubEnv('AWS_PROFILE', undefined);
      expect(await profileRegion()).toBe('eu-west-1');
      vi.stubEnv('AWS_PROFILE', 'ops');
      expect(await profileRegion()).toBe('us-east-2');
      vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'none'));
      vi.stubEnv('AWS_PROFILE', undefined);
      expect(await profileRegion()).toBeUndefined();
    } finally {
      await cleanup();
    }
  });
});
