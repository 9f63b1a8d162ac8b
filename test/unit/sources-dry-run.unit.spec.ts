/** `dubegrid sources test`'s core: a split of a local file with nowhere to write, chosen as the splitter chooses. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { dryRunSplit } from '../../src/producers/splitter/mapping/dry-run.ts';
import { MappingSet } from '../../src/producers/splitter/mapping/set.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';
import { EXAMPLE, EXAMPLE_ACCOUNTING } from '../support/sources-example.ts';

async function exampleSet(): Promise<MappingSet> {
  const loaded = parseMapping(await readFile(`${EXAMPLE}.yaml`, 'utf8'), `${EXAMPLE}.yaml`);
  return MappingSet.compile([loaded], {}).set;
}

describe('a dry-run split', () => {
  it('takes the shipped example with its mapping: ids out of the text, MW into kW, local time into UTC', async () => {
    const run = await dryRunSplit(`${EXAMPLE}.csv`, { mappings: await exampleSet() });
    expect(run.summary).toMatchObject({
      mapping: { name: 'monitor_export' },
      ...EXAMPLE_ACCOUNTING,
    });
    expect(run.events.map((e) => [e.asset_id, e.measurement, e.unit, e.value])).toContainEqual([
      '720512',
      'total_active_power',
      'kW',
      131,
    ]);
    expect(run.events[0]).toMatchObject({
      substation_id: '720512',
      feeder_id: '1',
      substation_name: 'CHARTERHOUSE DRIVE - SOLIHULL',
      ts: '2025-08-14T14:00:00.000Z',
    });
  });

  it('without the mapping, quarantines every row as unknown_format and says why', async () => {
    const run = await dryRunSplit(`${EXAMPLE}.csv`, { mappings: MappingSet.compile([], {}).set });
    expect(run.summary.mapping).toBeNull();
    expect(run.summary.quarantine_reasons).toEqual({ unknown_format: 8 });
    expect(run.entries[0]?.message).toMatch(/lv_long: the header lacks/);
  });

  it('reads JSON and JSON Lines by the suffix, as the splitter reads a raw key', async () => {
    const set = MappingSet.compile([], {}).set;
    const doc = await dryRunSplit('test/fixtures/sources/energy-sites.json', { mappings: set });
    expect(doc.summary).toMatchObject({ mapping: { name: 'energy_json' }, rows_read: 6, events_emitted: 10 });
    const lines = await dryRunSplit('test/fixtures/sources/vehicle-telemetry.ndjson', { mappings: set });
    expect(lines.summary).toMatchObject({ mapping: { name: 'chargeminder_ndjson' }, rows_read: 5, events_emitted: 7 });
  });
});
