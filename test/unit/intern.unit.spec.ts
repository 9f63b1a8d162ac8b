import { describe, expect, it } from 'vitest';
import { validateReadingEvent } from '../../src/shared/event.ts';
import { StringInterner } from '../../src/shared/intern.ts';
import { readingEvent } from '../support/reading-events.ts';

describe('StringInterner', () => {
  it('gives back the first copy of an equal value, and stays within its bound', () => {
    const table = new StringInterner(3);
    const first = table.intern(['sub', 'station'].join(''));
    expect(table.intern(['subst', 'ation'].join(''))).toBe(first);
    for (const v of ['a', 'b', 'c', 'd']) table.intern(v);
    expect(table.size).toBeLessThanOrEqual(3);
    expect(table.intern('substation')).toBe('substation');
  });
});

describe('validateReadingEvent interning', () => {
  it('leaves a valid event equal to what was decoded, with its recurring values shared', () => {
    const decode = (): Record<string, unknown> =>
      JSON.parse(JSON.stringify(readingEvent({ substation: 'S1', ts: '2025-08-11T00:00:00Z', value: 1 }))) as Record<
        string,
        unknown
      >;
    const a = decode();
    const b = decode();
    const before = structuredClone(b);
    const ra = validateReadingEvent(a);
    const rb = validateReadingEvent(b);
    expect(ra.ok && rb.ok).toBe(true);
    expect(b).toEqual(before);
    expect(Object.keys(b)).toEqual(Object.keys(before));
  });

  it('validates a frozen event without touching it', () => {
    const frozen = Object.freeze(readingEvent({ substation: 'S2', ts: '2025-08-11T00:10:00Z', value: 2 }));
    expect(validateReadingEvent(frozen).ok).toBe(true);
  });
});
