/** Incidents (as listed) and notifications (as they arrive live) read alike by the alert views. */
import type { Alert } from './types.ts';

export function isNotification(a: Alert): a is Extract<Alert, { notification_id: string }> {
  return 'notification_id' in a;
}

/** The reading time it happened at: a notification's transition, an incident's opening. */
export function alertTime(a: Alert): string {
  return isNotification(a) ? a.ts : a.opened_at;
}

/** `open` / `escalate` / `close` for a notification, `open` / `closed` for an incident. */
export function alertState(a: Alert): string {
  return isNotification(a) ? a.kind : a.status;
}

/** Whether it matches an incident-status filter (a notification of a close counts as closed). */
export function hasStatus(a: Alert, status: string): boolean {
  const s = isNotification(a) ? (a.kind === 'close' ? 'closed' : 'open') : a.status;
  return s === status;
}

/** One key per thing seen: a notification by its id, an incident by its id and status. */
export function alertKey(a: Alert): string {
  return isNotification(a) ? a.notification_id : `${a.alert_id}:${a.status}`;
}
