/**
 * Random requests for the HTTP API's query and path parameters (issue #18, item 4: the
 * splitter's fuzzer applied to the API): every GET route with parameters, values drawn
 * from random text, numbers and dates, near-misses of valid values, and valid ones (so
 * that the properties reach the stores and the query engine, not only validation).
 */
import fc from 'fast-check';
import { NAMED_QUERIES } from '../../src/shared/queries.ts';

/** The routes, as in the OpenAPI document, with the keys their queries read. */
export const FUZZED_ROUTES = [
  { route: '/api/assets/{asset_id}/latest', keys: [] },
  { route: '/api/assets/{asset_id}/series', keys: ['measurement', 'from', 'to', 'max_points'] },
  { route: '/api/alerts', keys: ['since', 'until', 'severity', 'rule', 'asset', 'status'] },
  { route: '/api/queries/{name}', keys: ['month', 'asset_id', 'limit', 'substation', 'rule'] },
  { route: '/api/queries/runs/{id}', keys: [] },
  { route: '/api/report', keys: ['month'] },
] as const;

export interface FuzzRequest {
  /** The route's template, for its OpenAPI entry. */
  readonly route: string;
  /** The path and query as sent. */
  readonly path: string;
}

/** A parameter value: anything from valid to hostile. */
export function fuzzValue(valid: readonly string[]): fc.Arbitrary<string> {
  const near = fc.constantFrom(
    '',
    ' ',
    '..',
    '../..',
    '%',
    '%00',
    '\u0000',
    'null',
    '-1',
    '0',
    '1e309',
    'NaN',
    '2025-02-30',
    '2025-13-01T00:00:00Z',
    '2025-08-14T25:00:00Z',
    '9999-12-31T23:59:59.999999999+14:00',
    "' OR 1=1 --",
    '"; DROP TABLE readings; --',
    '<script>alert(1)</script>',
    'x'.repeat(5_000),
  );
  return fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: 3 },
    { arbitrary: near, weight: 2 },
    { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
    { arbitrary: fc.integer().map(String), weight: 1 },
    { arbitrary: fc.double().map(String), weight: 1 },
    { arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), weight: 1 },
  );
}

/** Requests over FUZZED_ROUTES; `valid` holds good values (asset ids, dates, names) to mix in. */
export function fuzzRequest(valid: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const value = fuzzValue([...valid, ...Object.keys(NAMED_QUERIES)]);
  return fc.constantFrom(...FUZZED_ROUTES).chain(({ route, keys }) => {
    // the route's own keys most of the time, any key now and then
    const key = keys.length
      ? fc.oneof(
          { arbitrary: fc.constantFrom(...keys), weight: 4 },
          { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
        )
      : fc.string({ maxLength: 12 });
    return fc
      .record({ pathValue: value, query: fc.array(fc.tuple(key, value), { maxLength: 6 }) })
      .map(({ pathValue, query }) => {
        const path = route.replace(/\{[a-z_]+\}/, encodeURIComponent(pathValue));
        const search = new URLSearchParams(query).toString();
        return { route, path: search ? `${path}?${search}` : path };
      });
  });
}
