/**
 * The local topic's subscribers, declared in `<data dir>/subscriptions.json`:
 *
 * ```json
 * { "subscriptions": [
 *   { "name": "console", "protocol": "console" },
 *   { "name": "log", "protocol": "file", "endpoint": "alerts.jsonl" },
 *   { "name": "ops", "protocol": "http", "endpoint": "http://127.0.0.1:9000/alerts",
 *     "filter_policy": { "severity": ["critical"] },
 *     "retry": { "attempts": 5, "base_delay_ms": 100, "max_delay_ms": 2000, "timeout_ms": 5000 } }
 * ] }
 * ```
 * `file` endpoints are relative to the data dir. Without the file the topic has one
 * console subscriber, so `npm start` shows the alerts it raises.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { validateFilterPolicy, type FilterPolicy } from './filter-policy.ts';

export const PROTOCOLS = ['console', 'file', 'http', 'https'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** One attempt's limit. */
  readonly timeoutMs: number;
}

/**
 * HTTP delivery retries. SNS's own default (3 retries 20 s apart) suits the internet;
 * a webhook on loopback that is down for a moment is better served by quick
 * exponential backoff (the shared policy, `shared/retry.ts`): waits of up to 100 ms,
 * 200 ms, 400 ms, 800 ms.
 */
export const DEFAULT_HTTP_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 2_000, timeoutMs: 5_000 };

export interface SubscriptionConfig {
  readonly name: string;
  readonly protocol: Protocol;
  /** File path (absolute, resolved against the data dir) or URL; absent for console. */
  readonly endpoint?: string;
  readonly filterPolicy?: FilterPolicy;
  readonly retry: RetryPolicy;
}

export const DEFAULT_SUBSCRIPTIONS: readonly SubscriptionConfig[] = [
  { name: 'console', protocol: 'console', retry: DEFAULT_HTTP_RETRY },
];

export class SubscriptionConfigError extends Error {
  override name = 'SubscriptionConfigError';
}

/** Reads and validates the file; a missing file gives the default console subscriber. */
export async function loadSubscriptions(file: string, dataDir: string): Promise<readonly SubscriptionConfig[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_SUBSCRIPTIONS;
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SubscriptionConfigError(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseSubscriptions(doc, dataDir, file);
}

export function parseSubscriptions(doc: unknown, dataDir: string, where = 'subscriptions'): SubscriptionConfig[] {
  const list = (doc as { subscriptions?: unknown } | null)?.subscriptions;
  if (!Array.isArray(list)) throw new SubscriptionConfigError(`${where}: expected {"subscriptions": [ … ]}`);
  const names = new Set<string>();
  return list.map((raw, i) => {
    const at = `${where}: subscriptions[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new SubscriptionConfigError(`${at} must be an object`);
    const s = raw as Record<string, unknown>;
    const protocol = s.protocol;
    if (typeof protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new SubscriptionConfigError(
        `${at}.protocol must be one of ${PROTOCOLS.join(', ')}, got ${JSON.stringify(protocol)}`,
      );
    }
    const name = s.name === undefined ? `${protocol}-${i + 1}` : s.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name))
      throw new SubscriptionConfigError(`${at}.name must be 1–64 of A-Z a-z 0-9 _ . -`);
    if (names.has(name)) throw new SubscriptionConfigError(`${at}: a subscription named ${name} is declared twice`);
    names.add(name);
    const endpoint = endpointOf(protocol as Protocol, s.endpoint, dataDir, at);
    const filterPolicy =
      s.filter_policy === undefined ? undefined : validateFilterPolicy(s.filter_policy, `${at}.filter_policy`);
    return {
      name,
      protocol: protocol as Protocol,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(filterPolicy ? { filterPolicy } : {}),
      retry: retryOf(s.retry, at),
    };
  });
}

function endpointOf(protocol: Protocol, endpoint: unknown, dataDir: string, at: string): string | undefined {
  if (protocol === 'console') return undefined;
  if (typeof endpoint !== 'string' || endpoint === '')
    throw new SubscriptionConfigError(`${at}.endpoint is required for protocol ${protocol}`);
  if (protocol === 'file') return isAbsolute(endpoint) ? endpoint : resolve(dataDir, endpoint);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new SubscriptionConfigError(`${at}.endpoint is not a URL: ${endpoint}`);
  }
  if (url.protocol !== `${protocol}:`)
    throw new SubscriptionConfigError(`${at}.endpoint must be an ${protocol}:// URL, got ${endpoint}`);
  return endpoint;
}

function retryOf(raw: unknown, at: string): RetryPolicy {
  if (raw === undefined) return DEFAULT_HTTP_RETRY;
  if (typeof raw !== 'object' || raw === null) throw new SubscriptionConfigError(`${at}.retry must be an object`);
  const r = raw as Record<string, unknown>;
  const pick = (key: string, fallback: number, min: number, max: number): number => {
    const v = r[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new SubscriptionConfigError(`${at}.retry.${key} must be a whole number from ${min} to ${max}`);
    return v;
  };
  return {
    attempts: pick('attempts', DEFAULT_HTTP_RETRY.attempts, 1, 20),
    baseDelayMs: pick('base_delay_ms', DEFAULT_HTTP_RETRY.baseDelayMs, 0, 60_000),
    maxDelayMs: pick('max_delay_ms', DEFAULT_HTTP_RETRY.maxDelayMs, 0, 600_000),
    timeoutMs: pick('timeout_ms', DEFAULT_HTTP_RETRY.timeoutMs, 1, 120_000),
  };
}
