/**
 * An embedded stack with no pipeline services (emulators and resources only), started
 * before a file's tests and stopped after them, on a temp data dir: for tests that
 * drive a handler themselves.
 */
import { afterAll, beforeAll } from 'vitest';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { tempDir } from './tmp.ts';

/** Registers the stack's start and stop; call the result inside a test. */
export function useBareStack(): () => EmbeddedStack {
  let stack: EmbeddedStack | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    stack = await startStack({ dataDir: t.dir, services: [] });
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup?.();
  });
  return () => {
    if (!stack) throw new Error('the bare stack is not up: call it inside a test');
    return stack;
  };
}
