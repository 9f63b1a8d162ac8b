/**
 * Child-process entry for crash tests: runs the state consumer's event source mapping
 * against an embedded stack started by the test (its endpoints and data dir in argv),
 * with a small batch size so a run has many checkpoints to be killed between.
 * argv: <dataDir> <endpoints JSON> <batchSize> [<fault>]
 * <fault>: `state:<n>:applied` — the process SIGKILLs itself right after a shard's n-th
 * batch is applied, before the mapping checkpoints it (`consumers/kit/fault.ts`).
 */
import { createStateHandler, stateDepsFromEnv } from '../../src/consumers/state/handler.ts';
import { killAt, parseFaultSpec } from '../../src/consumers/kit/fault.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { EventSourceMapping } from '../../src/local/esm/mapping.ts';
import { silentLog } from '../../src/local/service.ts';
import { createClients } from '../../src/shared/clients.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import { FUNCTIONS } from '../../src/shared/functions.ts';

const [dataDir, endpointsJson, batchSize, fault] = process.argv.slice(2);
if (!dataDir || !endpointsJson || !batchSize) {
  console.error('usage: state-consumer-process <dataDir> <endpoints JSON> <batchSize> [<fault>]');
  process.exit(2);
}
const clients = createClients({ target: 'local', endpoints: JSON.parse(endpointsJson) });
const paths = dataPaths(dataDir);
const mapping = new EventSourceMapping({
  clients,
  settings: { ...CONSUMERS.state, batchSize: Number(batchSize), maxBatchingWindowSeconds: 0 },
  fn: FUNCTIONS.state,
  handler: createStateHandler(
    stateDepsFromEnv(clients, process.env, {
      log: silentLog,
      ...(fault ? { fault: killAt(parseFaultSpec(fault)) } : {}),
    }),
  ),
  checkpointsRoot: paths.checkpoints,
  dlqRoot: paths.dlq,
  log: silentLog,
});
await mapping.start();
process.send?.({ type: 'started' });
process.on('disconnect', () => process.exit(0));
