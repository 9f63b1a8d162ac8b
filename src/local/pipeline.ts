/**
 * The services the embedded runtime runs, in start order. Later parts of the
 * pipeline add theirs here; nothing else needs to know the list.
 */
import type { ServiceFactory } from './service.ts';

export const PIPELINE_SERVICES: readonly ServiceFactory[] = [];
