/**
 * The state consumer in the embedded stack: its Lambda handler behind the local event
 * source mapping, with the settings the CDK mapping uses (`CONSUMERS.state`).
 */
import { CONSUMERS } from '../../shared/consumers.ts';
import { FUNCTIONS } from '../../shared/functions.ts';
import { createStateHandler, stateDepsFromEnv } from '../../consumers/state/handler.ts';
import { eventSourceMappingService, type LocalConsumer } from '../esm/service.ts';
import { poisonFromEnv } from '../faults/poison.ts';

export const stateConsumer: LocalConsumer = {
  settings: CONSUMERS.state,
  fn: FUNCTIONS.state,
  createHandler: ({ clients, env, log }) =>
    createStateHandler(stateDepsFromEnv(clients, env, { log, fault: poisonFromEnv(env, log) })),
};

export const stateService = eventSourceMappingService(stateConsumer);
