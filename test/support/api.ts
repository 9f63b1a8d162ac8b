/**
 * Helpers for tests (and the API benchmark) that talk to the HTTP API as the console
 * does: JSON with the bearer header, the SSE stream read with `fetch` and its body
 * reader, and a raw-CSV file carrying an anomaly to ingest.
 */
import { request } from 'node:http';

export interface Fetched {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export async function getJson(base: string, path: string, token?: string): Promise<Fetched> {
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** A GET with the path sent exactly as given (fetch would normalise `..` away). */
export function rawGet(base: string, path: string, token?: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'GET',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  /** `performance.now()` when the event was read. */
  readonly at: number;
}

/** Opens the stream; events go to `events` as they arrive. `close` ends it. */
export async function openStream(
  base: string,
  token: string | undefined,
): Promise<{ status: number; events: SseEvent[]; close: () => void; next: (after?: number) => Promise<SseEvent> }> {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/alerts/stream`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  if (res.ok && res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (data.length) {
              events.push({ event, data: data.join('\n'), at: performance.now() });
              for (const w of waiters.splice(0)) w();
            }
          }
        }
      } catch {
        // aborted
      }
    })();
  } else {
    await res.body?.cancel();
  }
  const next = async (after = 0): Promise<SseEvent> => {
    while (events.length <= after) await new Promise<void>((r) => waiters.push(r));
    return events[after] as SseEvent;
  };
  return { status: res.status, events, close: () => abort.abort(), next };
}

/** LV monitor rows of one substation's L1 voltage, `volts` each, 10 minutes apart from `startIso`. */
export function voltageCsv(substation: string, startIso: string, volts: readonly number[]): string {
  const start = Date.parse(startIso);
  const rows = volts.map(
    (v, i) => `${substation},Test,${new Date(start + i * 600_000).toISOString()},transformer,,L1 Voltage,V,${v}`,
  );
  return `Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value\n${rows.join('\n')}\n`;
}
