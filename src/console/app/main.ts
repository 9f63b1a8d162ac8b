/**
 * The console's entry: read `config.json`, sign in, start the live alert feed, and route
 * by the fragment (`#/`, `#/map`, `#/assets/<id>`, `#/alerts`, `#/report`) — fragment
 * routes need nothing from the server but `index.html`, on the embedded server and on
 * CloudFront alike.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { CONSOLE_CONFIG_FILE, parseConsoleConfig, type ConsoleConfig } from '../../shared/console-config.ts';
import { createApi, type Api } from './api.ts';
import { adoptFragmentToken, currentToken, forgetToken, signIn, signOut } from './auth.ts';
import { h, show } from './dom.ts';
import { AlertFeed } from './feed.ts';
import { alertsPage } from './pages/alerts.ts';
import { assetPage } from './pages/asset.ts';
import { mapPage } from './pages/map.ts';
import { overviewPage } from './pages/overview.ts';
import { reportPage } from './pages/report.ts';

export interface PageContext {
  readonly api: Api;
  readonly feed: AlertFeed;
  readonly main: HTMLElement;
  /** The route's parameters: the path after the page name, and the fragment's query. */
  readonly path: string[];
  readonly query: URLSearchParams;
}

/** A page renders into `ctx.main` and may return what to undo when the user leaves it. */
export type Page = (ctx: PageContext) => Promise<(() => void) | void>;

const PAGES: Record<string, Page> = {
  '': overviewPage,
  map: mapPage,
  assets: assetPage,
  alerts: alertsPage,
  report: reportPage,
};

const main = document.getElementById('main') as HTMLElement;

async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch(CONSOLE_CONFIG_FILE, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${CONSOLE_CONFIG_FILE} could not be read (${res.status})`);
  return parseConsoleConfig(await res.json());
}

/** Set across the reload that follows a refused token, so the sign-in form can say why. */
const REFUSED = 'dubegrid.refused';

async function boot(): Promise<void> {
  const config = await loadConfig();
  adoptFragmentToken();
  const reason = sessionStorage.getItem(REFUSED) ? 'That token was not accepted.' : undefined;
  sessionStorage.removeItem(REFUSED);
  await signIn(config, main, reason);
  // No separate check of the token: the first page's own requests are the check (one
  // round trip less before data). A 401 before any success means this token was wrong,
  // after one that it was replaced or expired; either way, back to sign-in.
  let accepted = false;
  const api = createApi(
    config,
    currentToken,
    () => {
      forgetToken();
      if (!accepted) sessionStorage.setItem(REFUSED, '1');
      location.reload();
    },
    () => (accepted = true),
  );
  run(config, api);
}

function run(config: ConsoleConfig, api: Api): void {
  const live = document.getElementById('live') as HTMLElement;
  const feed = new AlertFeed((state) => {
    live.dataset.state = state;
    live.textContent = state === 'live' ? '● live' : state === 'polling' ? '● polling' : `○ ${state}`;
  });
  const signout = document.getElementById('signout') as HTMLButtonElement;
  signout.hidden = false;
  signout.addEventListener('click', () => signOut(config));

  let leave: (() => void) | void = undefined;
  const route = async (): Promise<void> => {
    leave?.();
    leave = undefined;
    const [pathPart = '', queryPart = ''] = location.hash.replace(/^#\/?/, '').split('?');
    const [name = '', ...rest] = pathPart.split('/');
    const page = PAGES[name] ?? overviewPage;
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a'))
      a.classList.toggle(
        'active',
        a.dataset.page === (name || 'overview') || (name === 'assets' && a.dataset.page === 'overview'),
      );
    const ctx: PageContext = {
      api,
      feed,
      main,
      path: rest.map(decodeURIComponent),
      query: new URLSearchParams(queryPart),
    };
    show(main, h('p', { class: 'muted' }, 'Loading…'));
    try {
      leave = await page(ctx);
    } catch (err) {
      show(
        main,
        h('div', { class: 'card error' }, h('h1', {}, 'Could not load this page'), h('p', {}, (err as Error).message)),
      );
    }
  };
  window.addEventListener('hashchange', () => void route());
  // the live feed connects once the first page has its data, so it does not compete with it
  void route().then(() => feed.start(config, api));
}

boot().catch((err: Error) => {
  show(main, h('div', { class: 'card error' }, h('h1', {}, 'The console could not start'), h('p', {}, err.message)));
});
