import { describe, expect, it } from 'vitest';
import { isCanonicalTs } from '../../src/shared/event.ts';
import { TimestampReader, TimeZoneError } from '../../src/producers/splitter/timestamps.ts';

const ok = (reader: TimestampReader, text: string): string => {
  const r = reader.read(text);
  if (!r.ok) throw new Error(r.message);
  expect(isCanonicalTs(r.ts)).toBe(true);
  return r.ts;
};

describe('timestamps → the one canonical form', () => {
  const utc = new TimestampReader();

  it('normalises every accepted spelling of one instant to the same string', () => {
    const same = [
      '2025-08-14T15:00:00Z',
      '2025-08-14T15:00:00.000Z',
      '2025-08-14T15:00:00z',
      '2025-08-14 15:00:00',
      '2025-08-14 15:00:00.000',
      '2025-08-14T15:00',
      '2025-08-14 15:00:00+00:00',
      '2025-08-14T16:00:00+01:00',
      '2025-08-14T16:00:00+0100',
      '2025-08-14T16:00:00+01',
      '2025-08-14T10:30:00-04:30',
      ' 2025-08-14T15:00:00Z ',
      '2025-08-14 15:00:00 +00:00',
      '2025-08-14T15:00:00,000Z',
    ];
    for (const text of same) expect(ok(utc, text), text).toBe('2025-08-14T15:00:00.000Z');
  });

  it('reads plain times (read by position, not by the general pattern) as the general pattern does', () => {
    // each plain text against a spelling only the general pattern reads
    const pairs: [string, string][] = [
      ['2024-02-29 23:59:59', '2024-02-29T23:59:59.000Z'],
      ['1970-01-01T00:00:00Z', '1970-01-01 00:00:00+00:00'],
      ['2100-12-31T23:59:59', '2100-12-31T23:59:59.0Z'],
      ['2025-08-14 15:00:01', '2025-08-14 15:00:01 '],
    ];
    for (const [plain, general] of pairs) {
      expect(utc.read(plain), plain).toEqual(utc.read(general));
      expect(utc.read(plain), `${plain} again`).toEqual(utc.read(general));
    }
    // a plain-shaped time that is no instant is judged by the general reader, which says what is wrong
    const why = {
      '2025-02-29 00:00:00': 'has day 29 in a month of 28 days',
      '2025-13-01 00:00:00': 'has month 13',
      '2101-01-01 00:00:00': 'has year 2101, outside 1970–2100',
      '2025-08-14 24:00:00': 'has a time of day outside 00:00:00–23:59:59',
    };
    for (const [bad, message] of Object.entries(why))
      expect(new TimestampReader().read(bad), bad).toEqual({ ok: false, message: `"${bad}" ${message}` });
    expect(new TimestampReader('Europe/London').read('2025-08-14 15:00:00')).toMatchObject({
      ts: '2025-08-14T14:00:00.000Z',
    });
  });

  it('keeps milliseconds and drops digits past them', () => {
    expect(ok(utc, '2025-08-14T15:00:00.5Z')).toBe('2025-08-14T15:00:00.500Z');
    expect(ok(utc, '2025-08-14T15:00:00.123456789Z')).toBe('2025-08-14T15:00:00.123Z');
  });

  it('crosses midnight and month ends when converting offsets', () => {
    expect(ok(utc, '2025-01-01T00:30:00+01:00')).toBe('2024-12-31T23:30:00.000Z');
    expect(ok(utc, '2024-02-29T23:00:00-02:00')).toBe('2024-03-01T01:00:00.000Z');
  });

  it('rejects what is not one instant, saying why', () => {
    for (const text of [
      '',
      'yesterday',
      '2025-08-14',
      '14/08/2025 15:00',
      '2025-13-01T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2025-08-14T24:00:00Z',
      '2025-08-14T15:60:00Z',
      '2025-08-14T15:00:61Z',
      '2025-08-14T15:00:00+15:00',
      '1899-01-01T00:00:00Z',
      '2025-08-14T15:00:00 Europe/London',
      '2025-8-14T15:00:00Z',
    ]) {
      const r = utc.read(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.message).toContain(JSON.stringify(text));
    }
  });

  it('reads zone-less times in an IANA zone: summer and winter, the repeated hour as its earlier instant, the skipped hour rejected', () => {
    const london = new TimestampReader('Europe/London');
    expect(ok(london, '2025-07-01 12:00:00')).toBe('2025-07-01T11:00:00.000Z');
    expect(ok(london, '2025-12-01 12:00:00')).toBe('2025-12-01T12:00:00.000Z');
    expect(ok(london, '2025-10-26 00:59:59')).toBe('2025-10-25T23:59:59.000Z');
    expect(ok(london, '2025-10-26 01:00:00')).toBe('2025-10-26T00:00:00.000Z'); // BST 01:00, not GMT 01:00
    expect(ok(london, '2025-10-26 01:30:00')).toBe('2025-10-26T00:30:00.000Z');
    expect(ok(london, '2025-10-26 02:00:00')).toBe('2025-10-26T02:00:00.000Z');
    expect(ok(london, '2025-03-30 00:59:00')).toBe('2025-03-30T00:59:00.000Z');
    expect(london.read('2025-03-30 01:30:00').ok).toBe(false);
    expect(ok(london, '2025-03-30 02:00:00')).toBe('2025-03-30T01:00:00.000Z');
    expect(ok(london, '2025-07-01T12:00:00Z')).toBe('2025-07-01T12:00:00.000Z'); // an explicit zone wins
  });

  it('refuses an unknown zone when built', () => {
    expect(() => new TimestampReader('Mars/Olympus')).toThrow(TimeZoneError);
    expect(new TimestampReader('UTC').timeZone).toBe('UTC');
  });

  it('answers the same text the same way from its cache', () => {
    const r = new TimestampReader();
    expect(r.read('2025-08-14T15:00:00Z')).toBe(r.read('2025-08-14T15:00:00Z'));
  });
});
