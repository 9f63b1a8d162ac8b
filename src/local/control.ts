/**
 * A tiny HTTP control endpoint on loopback, so that `dubegrid` commands in other
 * terminals can ask a running stack for its services' status and its resources, and
 * make it flush. Asking the stack for its resources spares a short-lived command
 * loading the AWS SDK (most of `status`'s start-up on a busy machine): the stack has it
 * loaded and its connections open.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ControlHandlers {
  status(): Promise<unknown>;
  flush(): Promise<unknown>;
  resources(exact: boolean): Promise<unknown>;
}

export type ControlPath = '/status' | '/flush' | '/resources' | '/resources?exact=1';

const ROUTES: Record<string, (h: ControlHandlers) => Promise<unknown>> = {
  'GET /status': (h) => h.status(),
  'POST /flush': (h) => h.flush(),
  'GET /resources': (h) => h.resources(false),
  'GET /resources?exact=1': (h) => h.resources(true),
};

export async function startControlServer(handlers: ControlHandlers): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const action = ROUTES[`${req.method} ${req.url}`];
    if (!action) {
      res.writeHead(404).end();
      return;
    }
    action(handlers).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {})),
      (err: Error) =>
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A running stack's control endpoint said no; `status` 404 is a stack older than the path asked. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(`the running stack answered ${status}: ${reason}`);
  }
}

/** Calls a running stack's control endpoint. */
export async function callControl<T>(url: string, method: 'GET' | 'POST', path: ControlPath): Promise<T> {
  const res = await fetch(`${url}${path}`, { method });
  const text = await res.text();
  let body: (T & { error?: string }) | undefined;
  try {
    body = JSON.parse(text) as T & { error?: string };
  } catch {
    body = undefined;
  }
  if (!res.ok || body === undefined) {
    const reason =
      body?.error ?? (res.status === 404 ? `it has no ${method} ${path} (an older dubegrid?)` : 'no reason given');
    throw new ControlError(res.status, reason);
  }
  return body;
}
