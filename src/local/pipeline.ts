/**
 * The services the embedded runtime runs, in start order. Later parts of the
 * pipeline add theirs here; nothing else needs to know the list.
 */
import type { ServiceFactory } from './service.ts';
import { anomalyService } from './services/anomaly.ts';
import { compactionService } from './services/compaction.ts';
import { firehoseService } from './services/firehose.ts';
import { registryService } from './services/registry.ts';
import { rollupsService } from './services/rollups.ts';
import { splitterServiceFactory } from './services/splitter.ts';
import { stateService } from './services/state.ts';
import { snsService } from './sns/service.ts';

export const PIPELINE_SERVICES: readonly ServiceFactory[] = [
  firehoseService,
  stateService,
  snsService,
  registryService,
  anomalyService,
  splitterServiceFactory,
  compactionService,
  rollupsService,
];
