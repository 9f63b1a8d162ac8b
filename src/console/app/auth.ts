/**
 * Sign-in, on both targets. Embedded: `dubegrid up` prints the console URL with the API
 * token in its fragment (`#token=…`; a fragment never reaches the server or its logs);
 * the console moves it into this tab's session storage and takes it out of the address
 * bar at once, so it is not bookmarked, shared or kept in history. Without one it asks.
 * AWS: Cognito's hosted UI with the authorization-code flow and PKCE (no client secret in
 * a public page, no Amplify); the access token goes to the JWT authorizer.
 */
import type { AwsConsoleConfig, ConsoleConfig } from '../../shared/console-config.ts';
import { h, show } from './dom.ts';

const TOKEN = 'dubegrid.token';
const EXPIRES = 'dubegrid.token_expires';
const VERIFIER = 'dubegrid.pkce_verifier';
const STATE = 'dubegrid.pkce_state';

export function currentToken(): string | undefined {
  const expires = Number(sessionStorage.getItem(EXPIRES) ?? 'Infinity');
  if (Date.now() >= expires) return undefined;
  return sessionStorage.getItem(TOKEN) ?? undefined;
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(EXPIRES);
}

/** Moves a `#token=…` fragment into session storage and out of the address bar. */
export function adoptFragmentToken(): void {
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (!m?.[1]) return;
  sessionStorage.setItem(TOKEN, decodeURIComponent(m[1]));
  sessionStorage.removeItem(EXPIRES);
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

/**
 * Resolves with a token: the stored one, or one the user gives (embedded) or that Cognito
 * issues (AWS; this navigates away and the promise never settles on this page).
 */
export async function signIn(config: ConsoleConfig, main: HTMLElement, reason?: string): Promise<string> {
  if (config.target === 'aws') {
    const fromRedirect = await finishCognito(config);
    if (fromRedirect) return fromRedirect;
    const token = currentToken();
    if (token) return token;
    await startCognito(config);
    return new Promise<string>(() => undefined);
  }
  const token = currentToken();
  if (token) return token;
  return askForToken(main, reason);
}

function askForToken(main: HTMLElement, reason: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    const input = h('input', {
      type: 'password',
      name: 'token',
      autocomplete: 'off',
      required: true,
      placeholder: 'API token',
      'aria-label': 'API token',
    });
    const form = h(
      'form',
      { class: 'card signin' },
      h('h1', {}, 'Sign in'),
      reason ? h('p', { class: 'error' }, reason) : null,
      h(
        'p',
        {},
        'Open the link `dubegrid up` printed (it signs you in), or paste the token from ',
        h('code', {}, '<data dir>/api-token'),
        '.',
      ),
      input,
      h('button', { type: 'submit' }, 'Sign in'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN, token);
      resolve(token);
    });
    show(main, form);
    input.focus();
  });
}

export function signOut(config: ConsoleConfig): void {
  forgetToken();
  if (config.target === 'aws') {
    const q = new URLSearchParams({ client_id: config.app_client_id, logout_uri: redirectUri() });
    location.assign(`https://${config.hosted_ui_domain}/logout?${q}`);
  } else {
    location.reload();
  }
}

/** Where Cognito sends the browser back to: this page, without query or fragment (registered as a callback URL). */
function redirectUri(): string {
  return `${location.origin}${location.pathname}`;
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function startCognito(config: AwsConsoleConfig): Promise<void> {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: config.app_client_id,
    redirect_uri: redirectUri(),
    scope: 'openid email',
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  });
  location.assign(`https://${config.hosted_ui_domain}/oauth2/authorize?${q}`);
}

/** Back from the hosted UI with `?code=&state=`: trade the code (and the verifier) for tokens. */
async function finishCognito(config: AwsConsoleConfig): Promise<string | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code) return undefined;
  const expected = sessionStorage.getItem(STATE);
  const verifier = sessionStorage.getItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  sessionStorage.removeItem(VERIFIER);
  history.replaceState(null, '', `${location.pathname}#/`);
  if (!expected || params.get('state') !== expected || !verifier)
    throw new Error('sign-in answer does not match the request (state); sign in again');
  const res = await fetch(`https://${config.hosted_ui_domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.app_client_id,
      code,
      redirect_uri: redirectUri(),
      code_verifier: verifier,
    }),
  });
  if (!res.ok) throw new Error(`Cognito refused the sign-in code (${res.status})`);
  const body = (await res.json()) as { access_token?: string; expires_in?: number };
  if (!body.access_token) throw new Error('Cognito returned no access token');
  sessionStorage.setItem(TOKEN, body.access_token);
  // a minute early, so a request never leaves with a token about to expire
  sessionStorage.setItem(EXPIRES, String(Date.now() + ((body.expires_in ?? 3600) - 60) * 1000));
  return body.access_token;
}
