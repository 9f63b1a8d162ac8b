/**
 * The stale_feed part of `lake-ops`: the watchdog's precision and recall on a labelled
 * file, scored by the anomaly benchmark's own detection (`labelledDetection`: the same
 * generator, stack and scoring, not a second copy), with every other rule's worst figure
 * beside it, since a stale feed that resumes also trips `data_gap` and the two must not
 * spoil each other. Target ≥ 0.95 for each.
 */
import { RULE_IDS } from '../../../src/consumers/anomaly/rules/types.ts';
import { labelledDetection } from '../anomaly.ts';
import { atLeast, round } from '../../types.ts';
import { whole, type LakeOpsPart } from './context.ts';

const TARGET = 0.95;
const DEFAULTS = { substations: 4, days: 7, seed: 7 } as const;

export const staleFeedPart: LakeOpsPart = {
  name: 'stale-feed',
  standalone: true,
  flags: {
    'labelled-substations': `substations of the labelled file (default ${DEFAULTS.substations})`,
    'labelled-days': `days of the labelled file (default ${DEFAULTS.days})`,
  },
  async run(ctx) {
    const size = {
      substations: whole(ctx.flags['labelled-substations'], DEFAULTS.substations),
      days: whole(ctx.flags['labelled-days'], DEFAULTS.days),
      seed: DEFAULTS.seed,
    };
    const { score, figures } = await labelledDetection(size);
    const stale = score.rules.stale_feed;
    const others = RULE_IDS.filter((r) => r !== 'stale_feed');
    const worst = (what: 'precision' | 'recall') =>
      others.reduce((w, r) => (score.rules[r][what] < score.rules[w][what] ? r : w), others[0]!);
    const [wp, wr] = [worst('precision'), worst('recall')];
    const common = {
      ...figures,
      stale_feed_labels: stale.labels,
      stale_feed_alerts: stale.alerts,
    };
    return [
      // no label, no figure: a recall of 1 over nothing must not pass
      atLeast('stale_feed precision', stale.labels ? stale.precision : 0, TARGET, {
        ...common,
        matching_alerts: `${stale.matching_alerts}/${stale.alerts}`,
        // what a miss needs to be understood: which alerts matched no label
        unmatched: score.false_positives
          .filter((a) => a.rule === 'stale_feed')
          .map((a) => `${a.asset_id}@${a.opened_at}`)
          .join(' '),
      }),
      atLeast('stale_feed recall', stale.labels ? stale.recall : 0, TARGET, {
        found: `${stale.found}/${stale.labels}`,
      }),
      atLeast(
        'other rules, worst of precision and recall',
        Math.min(score.rules[wp].precision, score.rules[wr].recall),
        TARGET,
        {
          worst_precision: `${wp} ${round(score.rules[wp].precision)}`,
          worst_recall: `${wr} ${round(score.rules[wr].recall)}`,
          rules_without_labels: others.filter((r) => score.rules[r].labels === 0).join(', ') || 'none',
        },
      ),
    ];
  },
};
