/**
 * The API and console server of the embedded stack: the same app the Lambda runs
 * (`src/api/app.ts`), served by `@hono/node-server` on 127.0.0.1 (or the host asked
 * for), with the token of `<data dir>/api-token`, live alerts from the local topic,
 * named queries on DuckDB over the lake mirror. Its URL goes into the runtime file as
 * `console_url`; the URL with the token is only printed by `up`/`start`, never logged.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app.ts';
import type { AlertFeed, ApiDeps } from '../../api/deps.ts';
import { EngineRuns } from '../../api/query-runs.ts';
import { AlertNotification } from '../../api/schemas.ts';
import { createStores } from '../../api/store.ts';
import { factsCurrentIn } from '../../ops/query/named.ts';
import { openSqlEngine } from '../../ops/query/open.ts';
import { readSettings } from '../../shared/settings.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';
import { SNS_SERVICE_NAME, type SnsService } from '../sns/service.ts';
import { readOrCreateToken } from './token.ts';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from './defaults.ts';

export const API_SERVICE_NAME = 'api';
export { DEFAULT_API_HOST, DEFAULT_API_PORT };

export interface ApiServiceOptions {
  /** @default DEFAULT_API_PORT, falling back to a free port */
  readonly port?: number | undefined;
  /** @default 127.0.0.1 */
  readonly host?: string | undefined;
  /** The console's built files; `<data dir>/console` by default. */
  readonly consoleDir?: string | undefined;
  /** Builds the console into its directory before the server starts. */
  readonly buildConsole?: ((dir: string) => Promise<unknown>) | undefined;
  /** Overrides for tests (the query wait, the keep-alive). */
  readonly app?: Partial<Pick<ApiDeps, 'queryWaitMs' | 'keepAliveMs' | 'now'>> | undefined;
}

export interface ApiService extends Service {
  /** `http://host:port` once started. */
  readonly url: string;
  /** The URL that signs the console in: the token in its fragment. */
  readonly signInUrl: string;
  readonly token: string;
}

export function apiServiceFactory(options: ApiServiceOptions = {}): ServiceFactory {
  return (ctx) => createApiService(ctx, options);
}

function createApiService(ctx: ServiceContext, options: ApiServiceOptions): ApiService {
  const host = options.host ?? DEFAULT_API_HOST;
  const consoleDir = options.consoleDir ?? ctx.paths.console;
  let server: ServerType | undefined;
  let url = '';
  let token = '';
  const openEngine = async () => (await openSqlEngine(ctx.clients, ctx.paths.cache)).engine;
  const alerts: AlertFeed = {
    subscribe(listener) {
      const topic = ctx.service<SnsService>(SNS_SERVICE_NAME)?.topic;
      if (!topic) return () => undefined;
      return topic.onPublish((n) => {
        const parsed = AlertNotification.safeParse(JSON.parse(n.Message));
        if (parsed.success) listener(parsed.data);
        else ctx.log.warn(`api: a published message is not an alert notification: ${parsed.error.issues[0]?.message}`);
      });
    },
  };
  const service: ApiService = {
    name: API_SERVICE_NAME,
    get url() {
      return url;
    },
    get signInUrl() {
      return `${url}/#token=${encodeURIComponent(token)}`;
    },
    get token() {
      return token;
    },
    async start() {
      token = await readOrCreateToken(ctx.paths.apiToken);
      if (options.buildConsole) await options.buildConsole(consoleDir);
      const app = createApp({
        target: 'local',
        auth: { kind: 'token', token },
        stores: createStores({ clients: ctx.clients, openEngine }),
        queries: new EngineRuns(
          openEngine,
          undefined,
          factsCurrentIn({ s3: ctx.clients.s3, bucket: ctx.clients.names.bucket }),
        ),
        alerts,
        readingsTtlDays: readSettings().readingsTtlDays,
        consoleDir,
        ...options.app,
      });
      const listen = (port: number) =>
        new Promise<ServerType>((resolve, reject) => {
          const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
          s.once('error', reject);
        });
      try {
        server = await listen(options.port ?? DEFAULT_API_PORT);
      } catch (err) {
        if (options.port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        server = await listen(0);
      }
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${shown === '0.0.0.0' || shown === '[::]' ? DEFAULT_API_HOST : shown}:${address.port}`;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        // SSE clients hold connections open: end them so close returns
        (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
    runtime: () => (url ? { console_url: url } : {}),
    async status() {
      return { url };
    },
  };
  return service;
}
