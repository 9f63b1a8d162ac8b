/**
 * A tiny HTTP control endpoint on loopback, so that `dubegrid` commands in other
 * terminals can ask a running stack for its services' status and make it flush.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ControlHandlers {
  status(): Promise<unknown>;
  flush(): Promise<unknown>;
}

export async function startControlServer(handlers: ControlHandlers): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const route = `${req.method} ${req.url}`;
    const action = route === 'GET /status' ? handlers.status : route === 'POST /flush' ? handlers.flush : undefined;
    if (!action) {
      res.writeHead(404).end();
      return;
    }
    action().then(
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

/** Calls a running stack's control endpoint. */
export async function callControl<T>(url: string, method: 'GET' | 'POST', path: '/status' | '/flush'): Promise<T> {
  const res = await fetch(`${url}${path}`, { method });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`the running stack answered ${res.status}: ${body.error ?? 'no reason given'}`);
  return body;
}
