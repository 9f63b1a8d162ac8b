/**
 * The live alert feed the whole console shares: one per tab, started at sign-in. On the
 * embedded server it reads the SSE stream (notifications as they are published); on AWS,
 * where API Gateway cannot stream, it polls `GET /api/alerts?since=` (incidents opened
 * since the newest one it has seen; the first answer is the baseline, not news). It
 * keeps what arrived, newest first, once each, and tells the pages that listen.
 */
import { ALERT_POLL_MS, type ConsoleConfig } from '../../shared/console-config.ts';
import { alertKey, alertTime } from './alert-view.ts';
import type { Api, LiveState } from './api.ts';
import type { Alert, AlertList, AlertNotification } from './types.ts';

export type FeedListener = (alert: Alert) => void;

export class AlertFeed {
  readonly received: Alert[] = [];
  private readonly seen = new Set<string>();
  private readonly listeners = new Set<FeedListener>();
  private stop: (() => void) | undefined;

  constructor(private readonly onState: (state: LiveState) => void) {}

  start(config: ConsoleConfig, api: Api): void {
    if (config.target === 'local') {
      this.stop = api.stream<AlertNotification>('/api/alerts/stream', 'alert', (a) => this.add(a), this.onState);
      return;
    }
    let since: string | undefined;
    let baseline = true;
    const poll = async (): Promise<void> => {
      try {
        const { alerts } = await api.get<AlertList>('/api/alerts', { since });
        for (const a of alerts) {
          if (baseline) this.seen.add(alertKey(a));
          else this.add(a);
          if (!since || a.opened_at > since) since = a.opened_at;
        }
        baseline = false;
        this.onState('polling');
      } catch {
        this.onState('offline');
      }
    };
    void poll();
    const timer = window.setInterval(() => void poll(), ALERT_POLL_MS);
    this.stop = () => window.clearInterval(timer);
  }

  close(): void {
    this.stop?.();
  }

  /** Calls `listener` with each new alert; returns the unsubscribe. */
  listen(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private add(a: Alert): void {
    const key = alertKey(a);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.received.unshift(a);
    this.received.sort((x, y) => (alertTime(x) < alertTime(y) ? 1 : -1));
    for (const l of this.listeners) l(a);
  }
}
