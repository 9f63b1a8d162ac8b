import { describe, expect, it } from 'vitest';
import { assetsCsv, buildAssets } from '../../src/generate/assets.ts';
import { ASSETS_CSV_COLUMNS } from '../../src/shared/assets-csv.ts';
import { AssetsFileError, parseAssetsCsv } from '../../src/consumers/registry/assets-csv.ts';
import { isAssetsKey } from '../../src/consumers/registry/loader.ts';
import { assetInfoOf } from '../../src/consumers/anomaly/asset-info.ts';

const AT = '2025-08-14T00:00:00.000Z';

describe('assets.csv → registry items', () => {
  it("reads the generator's assets.csv: an item per feeder and per substation", () => {
    const network = buildAssets(7, 5);
    const parsed = parseAssetsCsv(assetsCsv(network), 'reference/assets/assets.csv', AT);
    const feeders = network.reduce((n, s) => n + s.feeders.length, 0);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.rows).toBe(feeders);
    expect(parsed.items).toHaveLength(feeders + network.length);
    const s = network[0]!;
    const f = s.feeders[0]!;
    const feederItem = parsed.items.find((i) => i.asset_id === `${s.substationNumber}:${f.feederId}`);
    expect(feederItem).toMatchObject({
      kind: 'feeder',
      rated_current_a: f.ratedCurrentA,
      transformer_kva: s.transformerKva,
      has_generation: f.hasGeneration,
    });
    const subItem = parsed.items.find((i) => i.asset_id === s.substationNumber);
    expect(subItem).toMatchObject({
      kind: 'substation',
      transformer_kva: s.transformerKva,
      has_generation: s.hasGeneration,
      feeders: s.feeders.length,
    });
    expect(assetInfoOf(subItem!)).toEqual({
      assetId: s.substationNumber,
      kind: 'substation',
      transformerKva: s.transformerKva,
      hasGeneration: s.hasGeneration,
    });
  });

  it('reads the optional interval_minutes: a feeder its own, a substation the shortest on any of its rows', () => {
    const text = [
      ASSETS_CSV_COLUMNS.join(','),
      'LV1,Mill Road,01,500,400,false,51.5,-0.1,30',
      'LV1,Mill Road,02,500,400,false,51.5,-0.1,',
      'LV1,Mill Road,03,500,400,false,51.5,-0.1,15',
      'LV2,Elm Close,01,315,250,false,,,',
      'LV3,Ash Lane,01,315,250,false,,,0',
      '',
    ].join('\n');
    const parsed = parseAssetsCsv(text, 'reference/assets/a.csv', AT);
    expect(parsed.rejected.map((r) => [r.line, r.reason, r.message])).toEqual([
      [6, 'invalid_field', 'interval_minutes must be a positive number of minutes, got "0"'],
    ]);
    const interval = (id: string) => parsed.items.find((i) => i.asset_id === id)?.interval_minutes;
    expect([interval('LV1:01'), interval('LV1:02'), interval('LV1:03'), interval('LV1')]).toEqual([
      30,
      undefined,
      15,
      15,
    ]);
    expect(interval('LV2')).toBeUndefined();
    const lv1 = parsed.items.find((i) => i.asset_id === 'LV1')!;
    expect(assetInfoOf(lv1).intervalMs).toBe(15 * 60_000);
    expect(assetInfoOf(parsed.items.find((i) => i.asset_id === 'LV2:01')!)).not.toHaveProperty('intervalMs');
  });

  it('rejects bad rows with their line and reason, and loads the rest', () => {
    const header = ASSETS_CSV_COLUMNS.join(',');
    const text = [
      header,
      'LV1,Mill Road,01,500,400,false,51.5,-0.1',
      'LV1,Mill Road,02,500,lots,false,51.5,-0.1',
      ',Nowhere,01,500,400,false,,',
      'LV1,Mill Road,03,315,400,false,51.5,-0.1',
      'LV2,"Quoted, Road",01,800,250,maybe,,',
      '',
    ].join('\n');
    const parsed = parseAssetsCsv(text, 'reference/assets/a.csv', AT);
    expect(parsed.rejected.map((r) => [r.line, r.reason, r.message])).toEqual([
      [3, 'non_numeric', 'feeder_rated_current_a must be a positive number, got "lots"'],
      [4, 'missing_field', 'substation_number is empty'],
      [5, 'invalid_field', 'transformer_kva 315 contradicts 500 given for LV1 on an earlier row'],
      [6, 'invalid_field', 'has_generation must be true or false, got "maybe"'],
    ]);
    expect(parsed.rejected[0]?.raw).toBe('LV1,Mill Road,02,500,lots,false,51.5,-0.1');
    expect(parsed.items.map((i) => i.asset_id).sort()).toEqual(['LV1', 'LV1:01']);
  });

  it('refuses a file that is not an assets file, naming the missing columns', () => {
    expect(() => parseAssetsCsv('a,b\n1,2\n', 'reference/assets/x.csv', AT)).toThrow(AssetsFileError);
    expect(() => parseAssetsCsv('a,b\n1,2\n', 'reference/assets/x.csv', AT)).toThrow(
      /missing column\(s\) substation_number/,
    );
  });

  it('loads only reference/assets/*.csv', () => {
    expect(isAssetsKey('reference/assets/assets.csv')).toBe(true);
    expect(isAssetsKey('reference/assets/readme.txt')).toBe(false);
    expect(isAssetsKey('raw/assets.csv')).toBe(false);
  });
});
