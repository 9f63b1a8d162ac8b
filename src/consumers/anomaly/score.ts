/**
 * Detection quality against ground truth (`dubegrid generate --anomalies` labels):
 * a label is found when an alert of its asset and rule opened within its window; an
 * alert that matches no label is a false positive. Per rule: precision over alerts,
 * recall over labels. Pure.
 */
import type { RuleId } from './rules/types.ts';
import { RULE_IDS } from './rules/types.ts';

export interface Label {
  readonly asset_id: string;
  readonly rule: string;
  readonly start: string;
  readonly end: string;
}

export interface OpenedAlert {
  readonly asset_id: string;
  readonly rule: string;
  readonly opened_at: string;
}

export interface RuleScore {
  readonly labels: number;
  readonly found: number;
  readonly alerts: number;
  readonly matching_alerts: number;
  /** 1 when there were no alerts at all (nothing claimed, nothing wrong). */
  readonly precision: number;
  /** 1 when there were no labels. */
  readonly recall: number;
}

export interface Score {
  readonly rules: Readonly<Record<RuleId, RuleScore>>;
  readonly missed: readonly Label[];
  readonly false_positives: readonly OpenedAlert[];
}

export function scoreAlerts(labels: readonly Label[], alerts: readonly OpenedAlert[]): Score {
  const matches = (l: Label, a: OpenedAlert): boolean =>
    l.asset_id === a.asset_id && l.rule === a.rule && a.opened_at >= l.start && a.opened_at <= l.end;
  const missed = labels.filter((l) => !alerts.some((a) => matches(l, a)));
  const falsePositives = alerts.filter((a) => !labels.some((l) => matches(l, a)));
  const rules = Object.fromEntries(
    RULE_IDS.map((rule) => {
      const ls = labels.filter((l) => l.rule === rule);
      const as = alerts.filter((a) => a.rule === rule);
      const found = ls.filter((l) => !missed.includes(l)).length;
      const matching = as.filter((a) => !falsePositives.includes(a)).length;
      const score: RuleScore = {
        labels: ls.length,
        found,
        alerts: as.length,
        matching_alerts: matching,
        precision: as.length ? matching / as.length : 1,
        recall: ls.length ? found / ls.length : 1,
      };
      return [rule, score];
    }),
  ) as Record<RuleId, RuleScore>;
  return { rules, missed, false_positives: falsePositives };
}

/** Parses the ground truth CSV (`asset_id,rule,start,end`). */
export function parseLabels(text: string): Label[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  if (header?.trim() !== 'asset_id,rule,start,end')
    throw new Error(`not a labels file: header ${JSON.stringify(header)}`);
  return lines
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [asset_id = '', rule = '', start = '', end = ''] = l.split(',');
      return { asset_id, rule, start, end };
    });
}
