import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ReadingItem } from '../../src/consumers/state/items.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { CheckpointStore } from '../../src/shared/kinesis/checkpoints.ts';
import { consumersBehind, waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { startStack } from '../../src/local/stack.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import { EventIdDigest } from '../../src/shared/event.ts';
import { STREAM, TABLES } from '../../src/shared/resources.ts';
import { putReadingEvents, readingGrid } from '../support/reading-events.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';

const stream = STREAM.streamName;
const TSX = createRequire(import.meta.url).resolve('tsx');
const CONSUMER_PROCESS = fileURLToPath(new URL('../support/state-consumer-process.ts', import.meta.url));

describe('state consumer killed with SIGKILL between applying a batch and checkpointing it', () => {
  it('loses and duplicates nothing once started again', async () => {
    const { dir, cleanup } = await tempDir();
    const stack = await startStack({ dataDir: dir, services: [] });
    const children: ChildProcess[] = [];
    const spawnConsumer = (extra: string[]): ChildProcess => {
      const child = fork(CONSUMER_PROCESS, [dir, JSON.stringify(stack.endpoints), '5', ...extra], {
        execArgv: ['--import', TSX, '--no-deprecation'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      return child;
    };
    const startConsumer = async (): Promise<ChildProcess> => {
      const child = spawnConsumer([]);
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`consumer exited early (${code})`)));
      });
      return child;
    };
    try {
      const events = readingGrid({ substations: 8, feeders: 2, points: 80 });
      // small aggregates: many records, many batches, many checkpoints
      const put = await putReadingEvents(stack.clients.kinesis, stream, events, 4 * 1024);
      expect(put.records).toBeGreaterThan(100);

      // The consumer kills itself right after some shard's 3rd batch is applied, before that
      // batch is checkpointed: its first two batches are checkpointed (a shard's batches run
      // one after another), the 3rd is written but will be delivered again.
      const first = spawnConsumer([`${CONSUMERS.state.name}:3:applied`]);
      const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
        first.once('exit', (_code, signal) => resolve(signal)),
      );
      expect(exit).toBe('SIGKILL');
      expect((await new CheckpointStore(dataPaths(dir).checkpoints, 'state').all()).size).toBeGreaterThan(0);
      expect((await consumersBehind(dataPaths(dir), ['state'], put.targets)).length).toBeGreaterThan(0);

      const second = await startConsumer();
      await waitForConsumers(dataPaths(dir), ['state'], put.targets, { timeoutMs: 90_000 });
      second.kill('SIGTERM');

      const rows = await scanAll<ReadingItem>(stack.clients.doc, TABLES.readings.tableName);
      expect(rows).toHaveLength(events.length);
      const digest = new EventIdDigest();
      for (const r of rows) digest.add(r.event_id);
      expect(digest.toString()).toBe(put.digest);
      const latest = await scanAll(stack.clients.doc, TABLES.latest.tableName);
      expect(latest).toHaveLength(8 * 2 * 2);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await stack.stop();
      await cleanup();
    }
  });
});
