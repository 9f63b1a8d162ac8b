/**
 * Child-process entry of the emulator host. The emulators are JavaScript too: in
 * their own process they get a core of their own instead of sharing the
 * pipeline's event loop. Talks to its parent over IPC: `ready` with the endpoints,
 * `s3event` for every S3 notification, and exits on `stop` or when the parent dies.
 */
import type { S3Event } from 'aws-lambda';
import type { LocalEndpoints } from '../shared/clients.ts';
import { startEmulators } from './emulators.ts';
import { HEAP_PACER, headroomFromEnv, startHeapPacer } from './heap-pacer.ts';

export type HostMessage =
  | { type: 'ready'; endpoints: LocalEndpoints }
  | { type: 's3event'; event: S3Event }
  | { type: 'error'; message: string };

function send(message: HostMessage): void {
  process.send?.(message);
}

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error('emulator-host: run by the embedded stack with a data dir argument');
  process.exit(2);
}

// A database that fails after start-up (a full disk: LevelDB's "No space left on device") emits
// an error nobody awaits. Say it in one line and stop; the parent's requests then fail.
process.on('uncaughtException', (err) => {
  const message = (err?.message ?? String(err)).split('\n')[0] ?? 'unknown error';
  send({ type: 'error', message });
  process.stderr.write(`dubegrid: the embedded emulators stopped: ${message}\n`);
  process.exit(1);
});

try {
  const emulators = await startEmulators(dataDir, (event) => send({ type: 's3event', event }));
  const stop = async (): Promise<void> => {
    await emulators.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') void stop();
  });
  // An orphaned host would hold the LevelDB locks of the data dir: exit with the parent.
  process.on('disconnect', () => void stop());
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());
  // its heap near its live set between collections, as `up`'s (heap-pacer.ts)
  startHeapPacer(headroomFromEnv(process.env, HEAP_PACER.hostHeadroomBytes));
  send({ type: 'ready', endpoints: emulators.endpoints });
} catch (err) {
  send({ type: 'error', message: (err as Error).message });
  process.exit(1);
}
