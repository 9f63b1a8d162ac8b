/**
 * The incident lifecycle, pure: findings in, transitions out. An incident opens on
 * the first breach, stays open while breaching, escalates when its severity rises
 * (warning → critical, so at most once), and closes after `close_after_normal`
 * normal readings in a row. Each transition becomes one notification.
 */
import type { Finding, RuleId, Severity } from './rules/types.ts';
import { severityRank } from './rules/types.ts';

export interface IncidentState {
  /** Time of the reading that opened it, epoch ms: part of its identity. */
  readonly o: number;
  readonly s: Severity;
  /** Consecutive normal readings since the last breach. */
  readonly n: number;
  /** What opened it (or escalated it): value, bound, their unit, the sentence. */
  readonly v: number;
  readonly th: number;
  readonly u: string;
  readonly d: string;
}

export type TransitionKind = 'open' | 'escalate' | 'close';

export interface Transition {
  readonly kind: TransitionKind;
  readonly rule: RuleId;
  /** The incident's opening reading time, epoch ms. */
  readonly openedAt: number;
  /** The reading at which this transition happened, epoch ms. */
  readonly t: number;
  readonly severity: Severity;
  readonly value: number;
  readonly threshold: number;
  readonly unit: string;
  readonly detail: string;
  /** Set on a close that was not earned by normal readings (see window.ts). */
  readonly reason?: 'superseded';
}

export interface TrackResult {
  readonly incident: IncidentState | undefined;
  readonly transition?: Transition;
}

export function track(incident: IncidentState | undefined, finding: Finding, closeAfterNormal: number): TrackResult {
  if (finding.kind === 'breach') {
    const { t, severity, value, threshold, unit, detail, rule } = finding;
    if (!incident) {
      const opened: IncidentState = { o: t, s: severity, n: 0, v: value, th: threshold, u: unit, d: detail };
      return {
        incident: opened,
        transition: { kind: 'open', rule, openedAt: t, t, severity, value, threshold, unit, detail },
      };
    }
    if (severityRank(severity) > severityRank(incident.s)) {
      const escalated: IncidentState = { ...incident, s: severity, n: 0, v: value, th: threshold, u: unit, d: detail };
      return {
        incident: escalated,
        transition: { kind: 'escalate', rule, openedAt: incident.o, t, severity, value, threshold, unit, detail },
      };
    }
    return { incident: incident.n === 0 ? incident : { ...incident, n: 0 } };
  }
  if (!incident) return { incident };
  const n = incident.n + 1;
  if (n < closeAfterNormal) return { incident: { ...incident, n } };
  return {
    incident: undefined,
    transition: {
      kind: 'close',
      rule: finding.rule,
      openedAt: incident.o,
      t: finding.t,
      severity: incident.s,
      value: incident.v,
      threshold: incident.th,
      unit: incident.u,
      detail: `back to normal for ${closeAfterNormal} readings after: ${incident.d}`,
    },
  };
}
