/**
 * The API's Lambda entry: the same app as the embedded server, behind an API Gateway
 * HTTP API whose JWT authorizer (Cognito) has checked every caller but `/api/health`.
 * Assembled once at module scope and reused across invocations. Named queries run in
 * the API's own Athena workgroup (bytes-scanned cutoff); there is no alert stream on
 * AWS (API Gateway cannot stream), the console polls `/api/alerts`.
 */
import { handle } from 'hono/aws-lambda';
import { AthenaSqlEngine } from '../ops/query/athena-engine.ts';
import { factsCurrentIn } from '../ops/query/named.ts';
import { createClients } from '../shared/clients.ts';
import { ATHENA } from '../shared/resources.ts';
import { readSettings } from '../shared/settings.ts';
import { createApp } from './app.ts';
import { AthenaRuns } from './athena-runs.ts';
import { createStores } from './store.ts';

/** Within API Gateway's 30 s integration limit, with room for the Lambda's own start. */
const QUERY_WAIT_MS = 20_000;

const settings = readSettings();
const clients = createClients({ target: 'aws' });
const workgroup = ATHENA.apiWorkgroup;

export const app = createApp({
  target: 'aws',
  auth: { kind: 'upstream' },
  stores: createStores({
    clients,
    // a series older than the TTL must come back within the integration limit too
    openEngine: async () => new AthenaSqlEngine({ athena: clients.athena, workgroup, timeoutMs: 25_000 }),
  }),
  queries: new AthenaRuns({
    athena: clients.athena,
    workgroup,
    factsCurrent: factsCurrentIn({ s3: clients.s3, bucket: clients.names.bucket }),
  }),
  readingsTtlDays: settings.readingsTtlDays,
  queryWaitMs: QUERY_WAIT_MS,
});

export const handler = handle(app);
