/**
 * Runs any Kinesis consumer handler as an embedded service behind a local event source
 * mapping. A consumer part describes itself once (`LocalConsumer`: its mapping settings
 * from `CONSUMERS`, its function from `FUNCTIONS`, and how its handler is built from
 * clients and environment, exactly as its Lambda module builds it) and lists
 * `eventSourceMappingService(consumer)` in `pipeline.ts`. `dubegrid dlq redrive` finds
 * the consumer of a DLQ entry among the pipeline's factories with `localConsumerNamed`.
 */
import type { Clients } from '../../shared/clients.ts';
import type { EventSourceMappingSettings } from '../../shared/consumers.ts';
import type { FunctionDefinition } from '../../shared/functions.ts';
import type { RuntimeLog, Service, ServiceFactory } from '../service.ts';
import type { KinesisHandler } from '../../shared/kinesis/invoke.ts';
import { EventSourceMapping } from './mapping.ts';

export interface HandlerDeps {
  readonly clients: Clients;
  /** What the Lambda function's environment would hold (`ENV` names of `functions.ts`). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: RuntimeLog;
}

export interface LocalConsumer {
  readonly settings: EventSourceMappingSettings;
  readonly fn: FunctionDefinition;
  createHandler(deps: HandlerDeps): KinesisHandler;
}

/** A `ServiceFactory` that also says which consumer it runs. */
export type ConsumerServiceFactory = ServiceFactory & { readonly consumer: LocalConsumer };

export interface ConsumerService extends Service {
  readonly mapping: EventSourceMapping;
}

export function eventSourceMappingService(
  consumer: LocalConsumer,
  env: NodeJS.ProcessEnv = process.env,
): ConsumerServiceFactory {
  const factory: ServiceFactory = (ctx) => {
    const handler = consumer.createHandler({ clients: ctx.clients, env, log: ctx.log });
    const mapping = new EventSourceMapping({
      clients: ctx.clients,
      settings: consumer.settings,
      fn: consumer.fn,
      handler,
      checkpointsRoot: ctx.paths.checkpoints,
      dlqRoot: ctx.paths.dlq,
      log: ctx.log,
    });
    const service: ConsumerService = {
      name: consumer.settings.name,
      mapping,
      start: () => mapping.start(),
      stop: () => mapping.stop(),
      status: async () => mapping.status(),
    };
    return service;
  };
  return Object.assign(factory, { consumer });
}

/** The consumer called `name` among service factories (the pipeline's, normally). */
export function localConsumerNamed(factories: readonly ServiceFactory[], name: string): LocalConsumer | undefined {
  for (const f of factories) {
    const consumer = (f as Partial<ConsumerServiceFactory>).consumer;
    if (consumer?.settings.name === name) return consumer;
  }
  return undefined;
}
