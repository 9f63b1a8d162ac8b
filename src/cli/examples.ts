/**
 * The runnable examples of every command: ONE list, read by each command's `--help`,
 * checked against the README's tour (test/unit/cli-examples.unit.spec.ts) and run
 * against the sample by test/int/cli-hints.int.spec.ts. Each runs as written on a data
 * dir holding the sample (`npm start`: August 2025, substations LV100001…), with the
 * stack up or not, from the repository's root (the files they name are in it).
 */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  up: ['npx dubegrid up'],
  start: ['npx dubegrid start --once'],
  doctor: ['npx dubegrid doctor', 'npx dubegrid doctor --json'],
  status: ['npx dubegrid status', 'npx dubegrid status --verbose', 'npx dubegrid status --exact --json'],
  generate: ['npx dubegrid generate --out data --substations 3 --days 7 --anomalies'],
  ingest: ['npx dubegrid ingest data --wait'],
  assets: ['npx dubegrid assets', 'npx dubegrid assets --load data/assets.csv'],
  state: ['npx dubegrid state LV100001:01'],
  series: ['npx dubegrid series LV100001:01 --measurement l1_voltage --from 2025-08-14 --to 2025-08-14'],
  alerts: ['npx dubegrid alerts --severity critical', 'npx dubegrid alerts --rule overload --since 2025-08-12 --json'],
  query: [
    'npx dubegrid query --named avg_load_by_substation --param year=2025 --param month=08',
    'npx dubegrid query --named asset_performance_monthly --param month=2025-08',
    'npx dubegrid query --named peak_load_by_asset',
    'npx dubegrid query "SELECT count(*) AS readings FROM readings"',
    'npx dubegrid query --list',
  ],
  report: ['npx dubegrid report --out report.html', 'npx dubegrid report --month 2025-08 --out report.csv'],
  replay: ['npx dubegrid replay --from 2h --projection state'],
  backfill: ['npx dubegrid backfill --prefix raw/prod/lv/y=2025/m=08/ --wait'],
  rebuild: ['npx dubegrid rebuild --projection state'],
  compact: ['npx dubegrid compact', 'npx dubegrid compact --day 2025-08-12'],
  rollups: ['npx dubegrid rollups'],
  sources: ['npx dubegrid sources list'],
  'sources list': ['npx dubegrid sources list --json'],
  'sources add': ['npx dubegrid sources add docs/examples/sources/monitor-export.yaml'],
  'sources rm': ['npx dubegrid sources rm monitor_export'],
  'sources test': [
    'npx dubegrid sources test docs/examples/sources/monitor-export.csv --mapping docs/examples/sources/monitor-export.yaml',
    'npx dubegrid sources test test/fixtures/sources/energy-sites.json',
  ],
  verify: ['npx dubegrid verify'],
  dlq: ['npx dubegrid dlq'],
  'dlq redrive': ['npx dubegrid dlq redrive'],
};

/** The examples section of a command's `--help` (`path` as in EXAMPLES, e.g. `dlq redrive`). */
export function helpExamples(path: string): string {
  const examples = EXAMPLES[path] ?? [];
  return examples.length ? `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n` : '';
}
