/**
 * The control endpoint a running stack serves to commands in other terminals
 * (src/local/control.ts): each path reaches its handler, `exact` is passed through, and
 * what the stack cannot answer comes back as a ControlError with a reason, never as a
 * JSON parse error (an older `up` answers 404 with no body).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callControl, ControlError, startControlServer, type ControlPath } from '../../src/local/control.ts';

const calls: string[] = [];
let server: Awaited<ReturnType<typeof startControlServer>> | undefined;

afterEach(async () => {
  calls.length = 0;
  await server?.close();
});

async function serve(): Promise<string> {
  server = await startControlServer({
    status: async () => (calls.push('status'), { state: { records: 3 } }),
    flush: async () => (calls.push('flush'), undefined),
    resources: async (exact) => {
      calls.push(`resources exact=${exact}`);
      if (exact) throw new Error('scan failed');
      return { bucket: { exists: true } };
    },
  });
  return server.url;
}

describe('control endpoint', () => {
  it('routes each path to its handler and passes exact through', async () => {
    const url = await serve();
    expect(await callControl(url, 'GET', '/status')).toEqual({ state: { records: 3 } });
    expect(await callControl(url, 'GET', '/resources')).toEqual({ bucket: { exists: true } });
    expect(await callControl(url, 'POST', '/flush')).toEqual({});
    expect(calls).toEqual(['status', 'resources exact=false', 'flush']);
  });

  it("a handler's failure is a 500 with its message", async () => {
    const url = await serve();
    const err = await callControl(url, 'GET', '/resources?exact=1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).status).toBe(500);
    expect((err as Error).message).toBe('the running stack answered 500: scan failed');
  });

  it('a path the stack does not serve is a 404 ControlError naming it', async () => {
    const url = await serve();
    const err = await callControl(url, 'GET', '/nowhere' as ControlPath).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).status).toBe(404);
    expect((err as Error).message).toContain('no GET /nowhere');
    expect(calls).toEqual([]);
  });
});
