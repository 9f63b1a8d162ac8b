import { describe, expect, it } from 'vitest';
import { filterOf, parseSince } from '../../src/cli/commands/alerts.ts';
import { UsageError } from '../../src/cli/output.ts';

const NOW = new Date('2025-08-14T15:00:00.000Z');

describe('dubegrid alerts options', () => {
  it('reads --since as a span back from now, a date, or a time with a zone', () => {
    expect(parseSince('30m', NOW)).toBe('2025-08-14T14:30:00.000Z');
    expect(parseSince('6h', NOW)).toBe('2025-08-14T09:00:00.000Z');
    expect(parseSince('2d', NOW)).toBe('2025-08-12T15:00:00.000Z');
    expect(parseSince('2025-08-01', NOW)).toBe('2025-08-01T00:00:00.000Z');
    expect(parseSince('2025-08-01T10:00+01:00', NOW)).toBe('2025-08-01T09:00:00.000Z');
    expect(parseSince('2025-08-01T10:00:05.5Z', NOW)).toBe('2025-08-01T10:00:05.500Z');
    for (const bad of ['yesterday', '2025-08-01T10:00', '10', '2025-13-01'])
      expect(() => parseSince(bad, NOW)).toThrow(UsageError);
  });

  it('checks --severity and --rule against the known values', () => {
    expect(filterOf({ severity: 'critical', rule: 'spike', asset: 'LV1:01' }, NOW)).toEqual({
      severity: 'critical',
      rule: 'spike',
      asset: 'LV1:01',
    });
    expect(() => filterOf({ severity: 'major' }, NOW)).toThrow(/--severity must be warning or critical/);
    expect(() => filterOf({ rule: 'spikes' }, NOW)).toThrow(/--rule must be one of/);
  });
});
