/** The client factory's AWS side, built without reaching AWS (nothing here sends a request). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AWS_KINESIS_RETRY, createClients } from '../../src/shared/clients.ts';
import { ENV } from '../../src/shared/functions.ts';

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
