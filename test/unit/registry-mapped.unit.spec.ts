/**
 * The merge a reference file makes (consumers/registry/mapped.ts): each record's site
 * touches its substation and, for a feeder, the feeder; the update names only the
 * attributes the file gave, so no rating or flag can be erased.
 */
import { describe, expect, it } from 'vitest';
import { addReference, referenceUpdate, type AssetReference } from '../../src/consumers/registry/mapped.ts';
import { SiteCache } from '../../src/producers/splitter/rows.ts';

const sites = new SiteCache();

describe('reference merge', () => {
  it('a feeder record places its substation and itself; a later record wins per attribute', () => {
    const found = new Map<string, AssetReference>();
    addReference(found, sites.get('LV1', 'Mill', '01'), { substation_name: 'Mill', latitude: 52 });
    addReference(found, sites.get('LV1', 'Mill', ''), { longitude: -1.5 });
    expect([...found.values()]).toEqual([
      {
        asset_id: 'LV1',
        kind: 'substation',
        substation_id: 'LV1',
        feeder_id: '',
        substation_name: 'Mill',
        latitude: 52,
        longitude: -1.5,
      },
      {
        asset_id: 'LV1:01',
        kind: 'feeder',
        substation_id: 'LV1',
        feeder_id: '01',
        substation_name: 'Mill',
        latitude: 52,
      },
    ]);
  });

  it('sets only what the file gave, never a rating', () => {
    const update = referenceUpdate(
      'assets',
      { asset_id: 'LV1:01', kind: 'feeder', substation_id: 'LV1', feeder_id: '01', latitude: 52 },
      'reference/mapped/x.csv',
      '2025-08-14T00:00:00.000Z',
    );
    expect(update.Key).toEqual({ asset_id: 'LV1:01' });
    const set = Object.fromEntries(
      Object.entries(update.ExpressionAttributeNames ?? {}).map(([p, name]) => [
        name,
        update.ExpressionAttributeValues?.[`:${p.slice(1)}`],
      ]),
    );
    expect(set).toEqual({
      kind: 'feeder',
      substation_id: 'LV1',
      feeder_id: '01',
      latitude: 52,
      source_key: 'reference/mapped/x.csv',
      loaded_at: '2025-08-14T00:00:00.000Z',
    });
    expect(update.UpdateExpression).toBe(
      `SET ${Object.keys(update.ExpressionAttributeNames ?? {})
        .map((p) => `${p} = :${p.slice(1)}`)
        .join(', ')}`,
    );
  });
});
