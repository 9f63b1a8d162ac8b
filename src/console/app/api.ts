/**
 * The console's HTTP client: every call carries `Authorization: Bearer`, a 401 sends the
 * user back to sign-in, and an error shows the API's one-line reason. Live alerts come
 * from the SSE stream read with `fetch` (headers allowed, unlike `EventSource`) on the
 * embedded server (the feed polls instead on AWS, where API Gateway cannot stream).
 */
import type { ConsoleConfig } from '../../shared/console-config.ts';
import { SseParser } from './sse.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | undefined>;

export interface Api {
  get<T>(path: string, params?: Params): Promise<T>;
  /**
   * Reads an SSE stream (with the Authorization header, which `EventSource` cannot send)
   * and calls `onEvent` with each `event` it carries, reconnecting with backoff until
   * the returned stop is called.
   */
  stream<T>(path: string, event: string, onEvent: (data: T) => void, onState: (state: LiveState) => void): () => void;
}

export type LiveState = 'connecting' | 'live' | 'polling' | 'offline';

export function createApi(
  config: ConsoleConfig,
  token: () => string | undefined,
  onUnauthorized: () => void,
  onAuthorized: () => void = () => undefined,
): Api {
  const base = config.target === 'aws' ? config.api_url : '';
  const headers = (): Record<string, string> => ({ Authorization: `Bearer ${token() ?? ''}` });

  async function get<T>(path: string, params: Params = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    const res = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`, { headers: headers() });
    if (res.status === 401) {
      onUnauthorized();
      throw new ApiError('not signed in', 401);
    }
    onAuthorized();
    if (!res.ok) throw new ApiError(await reasonOf(res), res.status);
    return (await res.json()) as T;
  }

  function stream<T>(
    path: string,
    event: string,
    onEvent: (data: T) => void,
    onState: (state: LiveState) => void,
  ): () => void {
    let stopped = false;
    const controller = new AbortController();
    const connect = async (attempt: number): Promise<void> => {
      onState('connecting');
      try {
        const res = await fetch(`${base}${path}`, {
          headers: { ...headers(), Accept: 'text/event-stream' },
          signal: controller.signal,
          cache: 'no-store',
        });
        if (res.status === 401) {
          onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new ApiError(await reasonOf(res), res.status);
        onState('live');
        attempt = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (const ev of parser.push(value)) if (ev.event === event) onEvent(JSON.parse(ev.data) as T);
        }
      } catch {
        // a dropped connection or a refused one: reconnect below, unless stopped
      }
      if (stopped) return;
      onState('offline');
      // the server restarted or the network blinked: reconnect, backing off to 10 s
      window.setTimeout(() => void connect(attempt + 1), Math.min(10_000, 500 * 2 ** attempt));
    };
    void connect(0);
    return () => {
      stopped = true;
      controller.abort();
    };
  }

  return { get, stream };
}

async function reasonOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const reason = body.error ?? body.message;
    if (typeof reason === 'string') return reason;
  } catch {
    // not JSON: the status line says enough
  }
  return `${res.status} ${res.statusText || 'error'}`.trim();
}
