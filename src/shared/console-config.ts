/**
 * The console's `config.json`: the one description of what the single-page app needs
 * to know about the target it talks to. The embedded server writes the local form; the
 * CDK stack writes the AWS form next to the bundle in the site bucket; the console reads
 * it at start-up with `parseConsoleConfig`. Pure: the browser bundle imports it too.
 */

/** The embedded stack: same origin, a bearer token from `<data dir>/api-token`, live alerts over SSE. */
export interface LocalConsoleConfig {
  readonly target: 'local';
}

/**
 * AWS: the HTTP API on its own origin behind a Cognito JWT authorizer. The console signs
 * in through the hosted UI (authorization code + PKCE) and polls alerts, because API
 * Gateway HTTP APIs cannot stream.
 */
export interface AwsConsoleConfig {
  readonly target: 'aws';
  /** The HTTP API's base URL, e.g. `https://abc.execute-api.eu-west-2.amazonaws.com`. */
  readonly api_url: string;
  readonly user_pool_id: string;
  readonly app_client_id: string;
  /** The hosted UI's domain, e.g. `dubegrid-123.auth.eu-west-2.amazoncognito.com`. */
  readonly hosted_ui_domain: string;
}

export type ConsoleConfig = LocalConsoleConfig | AwsConsoleConfig;

/** The file's name next to `index.html`. */
export const CONSOLE_CONFIG_FILE = 'config.json';

/** How often the console polls `GET /api/alerts?since=` where there is no stream. */
export const ALERT_POLL_MS = 5_000;

const AWS_FIELDS = ['api_url', 'user_pool_id', 'app_client_id', 'hosted_ui_domain'] as const;

/** Reads `config.json`; a clear message naming the field when it is wrong. */
export function parseConsoleConfig(json: unknown): ConsoleConfig {
  if (typeof json !== 'object' || json === null) throw new Error(`${CONSOLE_CONFIG_FILE} is not a JSON object`);
  const o = json as Record<string, unknown>;
  if (o.target === 'local') return { target: 'local' };
  if (o.target !== 'aws')
    throw new Error(`${CONSOLE_CONFIG_FILE}: target must be "local" or "aws", got ${String(o.target)}`);
  for (const field of AWS_FIELDS) {
    if (typeof o[field] !== 'string' || o[field] === '')
      throw new Error(`${CONSOLE_CONFIG_FILE}: ${field} is required for target "aws"`);
  }
  return {
    target: 'aws',
    api_url: String(o.api_url).replace(/\/+$/, ''),
    user_pool_id: String(o.user_pool_id),
    app_client_id: String(o.app_client_id),
    hosted_ui_domain: String(o.hosted_ui_domain)
      .replace(/^https?:\/\//, '')
      .replace(/\/+$/, ''),
  };
}
