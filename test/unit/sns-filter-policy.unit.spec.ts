import { describe, expect, it } from 'vitest';
import {
  FilterPolicyError,
  matchesFilterPolicy,
  validateFilterPolicy,
  type MessageAttributes,
} from '../../src/local/sns/filter-policy.ts';

const attrs = (o: Record<string, string | number | string[]>): MessageAttributes =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [
      k,
      Array.isArray(v)
        ? { DataType: 'String.Array', StringValue: JSON.stringify(v) }
        : typeof v === 'number'
          ? { DataType: 'Number', StringValue: String(v) }
          : { DataType: 'String', StringValue: v },
    ]),
  );
const alert = attrs({
  severity: 'critical',
  rule: 'voltage_out_of_range',
  asset_id: 'LV100001:02',
  substation_id: 'LV100001',
  kind: 'open',
  level: 2,
});
const match = (policy: unknown, a: MessageAttributes = alert) => matchesFilterPolicy(validateFilterPolicy(policy), a);

describe('SNS filter policy on message attributes', () => {
  it('passes everything without a policy', () => {
    expect(matchesFilterPolicy(undefined, alert)).toBe(true);
  });

  it('matches exact strings, case-sensitively, any of a key and all keys', () => {
    expect(match({ severity: ['critical'] })).toBe(true);
    expect(match({ severity: ['Critical'] })).toBe(false);
    expect(match({ severity: ['warning', 'critical'], kind: ['open'] })).toBe(true);
    expect(match({ severity: ['critical'], kind: ['close'] })).toBe(false);
  });

  it('matches prefixes, suffixes and equals-ignore-case', () => {
    expect(match({ asset_id: [{ prefix: 'LV100001:' }] })).toBe(true);
    expect(match({ asset_id: [{ prefix: 'LV100002' }] })).toBe(false);
    expect(match({ rule: [{ suffix: '_range' }] })).toBe(true);
    expect(match({ severity: [{ 'equals-ignore-case': 'CRITICAL' }] })).toBe(true);
  });

  it('matches anything-but: values, a single value, a prefix; never a missing attribute', () => {
    expect(match({ severity: [{ 'anything-but': ['warning'] }] })).toBe(true);
    expect(match({ severity: [{ 'anything-but': 'critical' }] })).toBe(false);
    expect(match({ rule: [{ 'anything-but': { prefix: 'volt' } }] })).toBe(false);
    expect(match({ rule: [{ 'anything-but': { prefix: 'spike' } }] })).toBe(true);
    expect(match({ owner: [{ 'anything-but': ['x'] }] })).toBe(false);
    expect(match({ level: [{ 'anything-but': [1, 3] }] })).toBe(true);
    expect(match({ level: [{ 'anything-but': [2] }] })).toBe(false);
  });

  it('matches numeric ranges and equality on Number attributes only', () => {
    expect(match({ level: [{ numeric: ['>=', 2] }] })).toBe(true);
    expect(match({ level: [{ numeric: ['>', 2] }] })).toBe(false);
    expect(match({ level: [{ numeric: ['>', 0, '<=', 2] }] })).toBe(true);
    expect(match({ level: [{ numeric: ['>', 0, '<', 2] }] })).toBe(false);
    expect(match({ level: [{ numeric: ['=', 2] }] })).toBe(true);
    expect(match({ level: [2] })).toBe(true);
    expect(match({ level: ['2'] })).toBe(false); // a string never matches a Number attribute
    expect(match({ severity: [{ numeric: ['>', 0] }] })).toBe(false);
  });

  it('matches exists true/false; exists:false needs at least one attribute', () => {
    expect(match({ asset_id: [{ exists: true }] })).toBe(true);
    expect(match({ owner: [{ exists: true }] })).toBe(false);
    expect(match({ owner: [{ exists: false }] })).toBe(true);
    expect(match({ asset_id: [{ exists: false }] })).toBe(false);
    expect(match({ owner: [{ exists: false }] }, {})).toBe(false);
  });

  it('matches String.Array attributes element by element', () => {
    const tags = attrs({ tags: ['night', 'pv'] });
    expect(match({ tags: ['pv'] }, tags)).toBe(true);
    expect(match({ tags: [{ 'anything-but': ['pv'] }] }, tags)).toBe(false);
    expect(match({ tags: [{ 'anything-but': ['day'] }] }, tags)).toBe(true);
  });

  it('joins whole policies with $or', () => {
    expect(match({ $or: [{ severity: ['warning'] }, { rule: [{ prefix: 'volt' }] }] })).toBe(true);
    expect(match({ kind: ['open'], $or: [{ severity: ['warning'] }, { rule: ['spike'] }] })).toBe(false);
  });

  it('ignores Binary attributes', () => {
    expect(matchesFilterPolicy({ blob: [{ exists: true }] }, { blob: { DataType: 'Binary' } })).toBe(false);
  });

  it('refuses policies SNS would refuse, saying why', () => {
    expect(() => validateFilterPolicy(['severity'])).toThrow(FilterPolicyError);
    expect(() => validateFilterPolicy({ severity: 'critical' })).toThrow(/non-empty array/);
    expect(() => validateFilterPolicy({ severity: [{ regex: '.*' }] })).toThrow(/unknown operator "regex"/);
    expect(() => validateFilterPolicy({ a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] })).toThrow(
      /at most 5/,
    );
    const many = Array.from({ length: 13 }, (_, i) => `v${i}`);
    expect(() => validateFilterPolicy({ a: many, b: many })).toThrow(/169 value combinations/);
    expect(() => validateFilterPolicy({ level: [{ numeric: ['<', 5, '>', 1] }] })).toThrow(/numeric range/);
    expect(() => validateFilterPolicy({ level: [{ numeric: ['>', 2e9] }] })).toThrow(/±1000000000/);
  });
});
