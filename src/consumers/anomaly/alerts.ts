/**
 * From incident transitions to what is stored and sent: the incident record (one per
 * incident, the "live alerts" store), and one notification per transition with a
 * deterministic id, the SNS subject, message and attributes. Pure.
 */
import { sha256Hex } from '../../shared/hash.ts';
import { canonicalTs } from '../../shared/event.ts';
import type { Transition, TransitionKind } from './incidents.ts';
import type { AlertAttributes, AlertMessage } from './publisher.ts';
import type { RuleId, Severity } from './rules/types.ts';

/** What a window is about, for the records it produces. */
export interface WindowSubject {
  readonly assetId: string;
  readonly substationId: string;
  /** The measurement, or `phase_current` for a feeder's phase group. */
  readonly subject: string;
}

export interface IncidentRecord {
  readonly alert_id: string;
  readonly asset_id: string;
  readonly substation_id: string;
  readonly rule: RuleId;
  readonly measurement: string;
  readonly severity: Severity;
  readonly status: 'open' | 'closed';
  readonly opened_at: string;
  readonly escalated_at?: string;
  readonly closed_at?: string;
  readonly close_reason?: string;
  readonly value: number;
  readonly threshold: number;
  readonly unit: string;
  readonly detail: string;
}

export interface NotificationRecord {
  readonly notification_id: string;
  readonly alert_id: string;
  readonly kind: TransitionKind;
  /** The reading time at which the transition happened. */
  readonly ts: string;
  readonly asset_id: string;
  readonly substation_id: string;
  readonly rule: RuleId;
  readonly measurement: string;
  readonly severity: Severity;
  readonly opened_at: string;
  readonly closed_at?: string;
  readonly value: number;
  readonly threshold: number;
  readonly unit: string;
  readonly detail: string;
}

/** The incident's id: its asset, subject, rule and opening reading time. */
export function alertIdOf(w: WindowSubject, rule: RuleId, openedAt: string): string {
  return digest([w.assetId, w.subject, rule, openedAt]);
}

/** A notification's id: its incident's identity and the kind of transition. */
export function notificationIdOf(w: WindowSubject, rule: RuleId, openedAt: string, kind: TransitionKind): string {
  return digest([w.assetId, w.subject, rule, openedAt, kind]);
}

function digest(parts: readonly string[]): string {
  return sha256Hex(parts.join('\u0000')).slice(0, 32);
}

export function notificationOf(w: WindowSubject, tr: Transition): NotificationRecord {
  const openedAt = canonicalTs(tr.openedAt);
  const ts = canonicalTs(tr.t);
  return {
    notification_id: notificationIdOf(w, tr.rule, openedAt, tr.kind),
    alert_id: alertIdOf(w, tr.rule, openedAt),
    kind: tr.kind,
    ts,
    asset_id: w.assetId,
    substation_id: w.substationId,
    rule: tr.rule,
    measurement: w.subject,
    severity: tr.severity,
    opened_at: openedAt,
    ...(tr.kind === 'close' ? { closed_at: ts } : {}),
    value: tr.value,
    threshold: tr.threshold,
    unit: tr.unit,
    detail: tr.detail,
  };
}

/** The incident record as the open transition creates it. */
export function incidentOf(n: NotificationRecord): IncidentRecord {
  return {
    alert_id: n.alert_id,
    asset_id: n.asset_id,
    substation_id: n.substation_id,
    rule: n.rule,
    measurement: n.measurement,
    severity: n.severity,
    status: 'open',
    opened_at: n.opened_at,
    value: n.value,
    threshold: n.threshold,
    unit: n.unit,
    detail: n.detail,
  };
}

/** The SNS message of a notification: attributes for filter policies, the record as the body. */
export function alertMessageOf(n: NotificationRecord): AlertMessage {
  const attributes: AlertAttributes = {
    severity: n.severity,
    rule: n.rule,
    asset_id: n.asset_id,
    substation_id: n.substation_id,
    kind: n.kind,
    measurement: n.measurement,
    // Number attributes, so that filter policies can use numeric ranges ("value below 200").
    value: n.value,
    threshold: n.threshold,
  };
  return {
    subject: `[${n.severity}] ${n.rule} ${n.kind === 'open' ? 'opened' : n.kind === 'escalate' ? 'escalated' : 'closed'} on ${n.asset_id} ${n.measurement}`,
    body: JSON.stringify({ ...n, summary: summaryOf(n) }),
    attributes,
  };
}

/** One line a person reads. */
export function summaryOf(n: NotificationRecord): string {
  const verb = n.kind === 'open' ? 'OPEN' : n.kind === 'escalate' ? 'ESCALATED' : 'CLOSED';
  return `${n.ts} ${verb} ${n.severity} ${n.rule} on ${n.asset_id} ${n.measurement}: ${n.detail}`;
}
