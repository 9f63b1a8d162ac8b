/**
 * The site cache (rows.ts `SiteCache`) looks a site up by its substation id, then compares
 * the other fields, instead of hashing a key joining all four: it must give what building
 * the site afresh gives, for any order of lookups, and one object per distinct site.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assetIdOf } from '../../src/shared/event.ts';
import { SiteCache, type Site } from '../../src/producers/splitter/rows.ts';

/** The site the fields name, built the plain way. */
function plainSite(
  substationId: string,
  name: string,
  feederId: string,
  assetId: string | undefined,
): Omit<Site, 'json' | 'ascii'> {
  return {
    substation_id: substationId,
    substation_name: name,
    feeder_id: feederId,
    asset_id: assetId ?? assetIdOf(substationId, feederId),
  };
}

describe('SiteCache', () => {
  it('gives the site the fields name, one object per distinct site, for any order of lookups', () => {
    const text = fc.constantFrom('', 'S1', 'S2', 'S1:01', '01', 'Mill é', '\u0000');
    const lookup = fc.tuple(text, text, text, fc.option(text, { nil: undefined }));
    fc.assert(
      fc.property(fc.array(lookup, { maxLength: 60 }), (lookups) => {
        const cache = new SiteCache();
        const seen = new Map<string, Site>();
        for (const [sub, name, feeder, asset] of lookups) {
          const site = cache.get(sub, name, feeder, asset);
          expect(site).toMatchObject(plainSite(sub, name, feeder, asset));
          expect(JSON.parse(`{${site.json}}`)).toEqual(plainSite(sub, name, feeder, asset));
          const key = JSON.stringify([sub, name, feeder, asset ?? null]);
          const before = seen.get(key);
          if (before !== undefined) expect(site).toBe(before);
          seen.set(key, site);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not hand the last site, named by its source, to a record that names no asset', () => {
    const cache = new SiteCache();
    expect(cache.get('S1', '', '01', 'meter-9').asset_id).toBe('meter-9');
    // the same substation and feeder with no asset named: the default asset id, not the last site's
    expect(cache.get('S1', '', '01').asset_id).toBe('S1:01');
    expect(cache.get('S1', '', '01', 'meter-9').asset_id).toBe('meter-9');
  });
});
