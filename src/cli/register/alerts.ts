import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { RULE_IDS, SEVERITIES } from '../../consumers/anomaly/rules/types.ts';

export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description(
      'list incidents raised by the anomaly rules (the `alerts` table), one line each, oldest first; --follow tails their notifications live',
    )
    .option(
      '--since <time>',
      'incidents opened at or after this reading time: 2025-08-14, 2025-08-14T15:00Z, or a span back from now: 30m, 6h, 2d',
    )
    .option('--severity <s>', `only this severity: ${SEVERITIES.join(' or ')}`)
    .option('--rule <r>', `only this rule: ${RULE_IDS.join(', ')}`)
    .option('--asset <id>', 'only this asset: <substation> or <substation>:<feeder>')
    .option(
      '--follow',
      'after the list, print each notification (open, escalate, close) as it is stored, until Ctrl-C; with --json one JSON object per line',
    )
    .addHelpText(
      'after',
      '\nFields: alert_id, asset_id, substation_id, rule, severity, status (open/closed), opened_at, closed_at, measurement, value, threshold, unit, detail.\n' +
        "Times are the readings' own times (UTC). With --follow and no stack running, the pipeline is started for the command.",
    )
    .action(lazyAction(async () => (await import('../commands/alerts.ts')).runAlerts));
}
