/**
 * A fault-injecting HTTP proxy in front of one emulator: passes requests through, and
 * answers a share of them (`plan.ts`) with the service's throttling error, a 500, no
 * answer at all, or a reset after the upstream applied the request. The embedded stack
 * starts one per emulator when `DUBEGRID_FAULTS` is set (`startFaultProxies`).
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEndpoints } from '../../shared/clients.ts';
import { chooseFault, faultAnswer, FAULT_KINDS, type FaultKind, type FaultPlan, type FaultProtocol } from './plan.ts';

export type FaultCounts = Record<FaultKind | 'passed', number>;

export interface FaultProxy {
  readonly url: string;
  readonly counts: Readonly<FaultCounts>;
  close(): Promise<void>;
}

/** The JSON protocols name their service in `x-amz-target` (`Kinesis_20131202.PutRecords`); S3 does not. */
export function protocolOf(req: Pick<IncomingMessage, 'headers'>): FaultProtocol {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith('Kinesis_')) return 'kinesis';
  if (target.startsWith('DynamoDB_')) return 'dynamodb';
  return 's3';
}

export async function startFaultProxy(
  upstream: string,
  plan: FaultPlan,
  random: () => number = Math.random,
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts: FaultCounts = { passed: 0, ...Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) } as FaultCounts;
  const timers = new Set<NodeJS.Timeout>();

  const forward = (req: IncomingMessage, res: ServerResponse, dropAnswer: boolean): void => {
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        if (dropAnswer) {
          // applied upstream; the client never learns it
          answer.resume();
          answer.once('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.once('error', () => req.socket.destroy());
    req.pipe(out);
  };

  const server = createServer((req, res) => {
    const fault = chooseFault(plan, random);
    counts[fault ?? 'passed']++;
    if (fault === undefined || fault === 'reset') return forward(req, res, fault === 'reset');
    // the request is not applied: read it to its end, then answer (or not)
    req.resume();
    req.once('end', () => {
      if (fault === 'timeout') {
        const timer = setTimeout(() => {
          timers.delete(timer);
          req.socket.destroy();
        }, plan.hangMs);
        timers.add(timer);
        return;
      }
      const answer = faultAnswer(protocolOf(req), fault, random);
      res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

export interface FaultProxies {
  readonly endpoints: LocalEndpoints;
  /** Requests per outcome, per emulator. */
  counts(): Record<keyof LocalEndpoints, FaultCounts>;
  close(): Promise<void>;
}

/** One proxy per emulator; the endpoints to give the clients instead of the emulators'. */
export async function startFaultProxies(upstream: LocalEndpoints, plan: FaultPlan): Promise<FaultProxies> {
  const [s3, kinesis, dynamodb] = await Promise.all(
    [upstream.s3, upstream.kinesis, upstream.dynamodb].map((u) => startFaultProxy(u, plan)),
  );
  const all = { s3: s3!, kinesis: kinesis!, dynamodb: dynamodb! };
  return {
    endpoints: { s3: all.s3.url, kinesis: all.kinesis.url, dynamodb: all.dynamodb.url },
    counts: () => ({
      s3: { ...all.s3.counts },
      kinesis: { ...all.kinesis.counts },
      dynamodb: { ...all.dynamodb.counts },
    }),
    close: async () => {
      await Promise.all(Object.values(all).map((p) => p.close()));
    },
  };
}
