/**
 * Alerts: a timeline of incidents, newest first, with filters (severity, rule, status,
 * asset). Notifications from the live feed (the SSE stream, or polling on AWS) are put
 * at the top as they arrive, with no reload; the filters apply to them too.
 */
import { fmt, h, show } from '../dom.ts';
import type { PageContext } from '../main.ts';
import { assetHref, severityColor } from '../status.ts';
import { alertState, alertTime, hasStatus } from '../alert-view.ts';
import type { Alert, AlertList } from '../types.ts';

const SEVERITIES = ['critical', 'warning', 'info'];
const STATUSES = ['open', 'closed'];

export async function alertsPage(ctx: PageContext): Promise<() => void> {
  const severity = select('severity', SEVERITIES, ctx.query.get('severity'));
  const status = select('status', STATUSES, ctx.query.get('status'));
  const rule = h('input', {
    type: 'search',
    placeholder: 'rule',
    'aria-label': 'rule',
    value: ctx.query.get('rule') ?? '',
  });
  const asset = h('input', {
    type: 'search',
    placeholder: 'asset',
    'aria-label': 'asset',
    value: ctx.query.get('asset') ?? '',
  });
  const list = h('ol', { class: 'timeline', 'aria-live': 'polite' });
  const note = h('p', { class: 'muted small' });
  const form = h(
    'form',
    { class: 'toolbar' },
    severity,
    status,
    rule,
    asset,
    h('button', { type: 'submit' }, 'Filter'),
  );
  show(ctx.main, h('h1', {}, 'Alerts'), form, note, list);

  const filters = (): Record<string, string> => {
    const f: Record<string, string> = {};
    if (severity.value) f.severity = severity.value;
    if (status.value) f.status = status.value;
    if (rule.value.trim()) f.rule = rule.value.trim();
    if (asset.value.trim()) f.asset = asset.value.trim();
    return f;
  };
  const matches = (a: Alert, f: Record<string, string>): boolean =>
    (!f.severity || a.severity === f.severity) &&
    (!f.rule || a.rule === f.rule) &&
    (!f.asset || a.asset_id === f.asset) &&
    (!f.status || hasStatus(a, f.status));

  let listed = 0;
  const describe = (): void => {
    const live = ctx.feed.received.filter((a) => matches(a, filters())).length;
    note.textContent = `${listed} incident(s)${live ? `, ${live} live notification(s) since this tab signed in` : ''}. New alerts appear here as they are raised.`;
  };
  const load = async (): Promise<void> => {
    const f = filters();
    const { alerts } = await ctx.api.get<AlertList>('/api/alerts', f);
    // a timeline reads from the newest down (the API lists oldest first)
    alerts.sort((x, y) => (alertTime(x) < alertTime(y) ? 1 : alertTime(x) > alertTime(y) ? -1 : 0));
    listed = alerts.length;
    const live = ctx.feed.received.filter((a) => matches(a, f));
    show(list, ...live.map((a) => item(a, true)), ...alerts.map((a) => item(a, false)));
    if (!live.length && !alerts.length) show(list, h('li', { class: 'muted' }, 'No alert matches.'));
    describe();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  await load();
  return ctx.feed.listen((a) => {
    if (!matches(a, filters())) return;
    list.querySelector('li.muted')?.remove();
    list.prepend(item(a, true));
    describe();
  });
}

function select(name: string, options: string[], value: string | null): HTMLSelectElement {
  const s = h(
    'select',
    { name, 'aria-label': name },
    h('option', { value: '' }, `any ${name}`),
    options.map((o) => h('option', { value: o }, o)),
  );
  s.value = value ?? '';
  return s;
}

function item(a: Alert, live: boolean): HTMLLIElement {
  const state = alertState(a);
  return h(
    'li',
    { class: live ? 'live-alert' : '', 'data-alert': a.alert_id, 'data-asset': a.asset_id },
    h('time', { datetime: alertTime(a) }, fmt.time(alertTime(a))),
    h('i', { class: 'dot', style: `background:${severityColor(a.severity)}`, title: a.severity }),
    h(
      'div',
      {},
      h('strong', {}, a.rule),
      ' on ',
      h('a', { href: assetHref(a.asset_id) }, a.asset_id),
      ` ${a.measurement} `,
      h('span', { class: `tag ${a.severity}` }, a.severity),
      state ? h('span', { class: 'tag' }, state) : null,
      live ? h('span', { class: 'tag new' }, 'live') : null,
      h('div', { class: 'muted small' }, a.detail),
    ),
  );
}
