/**
 * SNS subscription filter policies on message attributes (FilterPolicyScope
 * `MessageAttributes`), with the semantics SNS documents:
 * - every key of the policy must be satisfied (AND); within a key's array, any one
 *   condition (OR); `$or: [policy, …]` at the top level joins whole policies;
 * - a plain string matches a String attribute (or any element of a String.Array)
 *   exactly, case-sensitively; a plain number matches a Number attribute numerically;
 * - `{"prefix": s}`, `{"suffix": s}`, `{"equals-ignore-case": s}` on strings;
 * - `{"anything-but": v | [v…] | {"prefix": s} | {"suffix": s}}`: the attribute is present
 *   and none of its values is listed (strings or numbers);
 * - `{"numeric": ["<", 0, ">=", -5]}`: one or two comparisons on a Number attribute;
 * - `{"exists": true}` / `{"exists": false}`: key presence; `exists: false` needs at
 *   least one attribute on the message, as on SNS;
 * - an attribute missing from the message fails every condition except `exists: false`;
 * - Binary attributes are ignored.
 * Policies are validated up front (at most 5 keys, at most 150 value combinations,
 * numbers within ±1e9) so that a bad subscription fails at load, not at delivery.
 */

export type FilterCondition =
  | string
  | number
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly 'equals-ignore-case': string }
  | { readonly 'anything-but': AnythingBut }
  | { readonly numeric: readonly (string | number)[] }
  | { readonly exists: boolean };

type AnythingBut =
  string | number | readonly (string | number)[] | { readonly prefix: string } | { readonly suffix: string };

export interface FilterPolicy {
  readonly [key: string]: readonly FilterCondition[] | readonly FilterPolicy[];
}

/** A message attribute as SNS `Publish` takes it. */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
}

export type MessageAttributes = Readonly<Record<string, MessageAttribute>>;

export class FilterPolicyError extends Error {
  override name = 'FilterPolicyError';
}

/** SNS's limits on one policy. */
export const FILTER_POLICY_LIMITS = { maxKeys: 5, maxCombinations: 150, maxAbsNumber: 1e9 } as const;

const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>', '>=']);

/** Checks a policy as SNS would on `Subscribe`; throws a `FilterPolicyError` naming what is wrong. */
export function validateFilterPolicy(policy: unknown, where = 'filter policy'): FilterPolicy {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw new FilterPolicyError(`${where} must be a JSON object of attribute names to arrays of conditions`);
  }
  const keys = new Set<string>();
  let combinations = 1;
  const visit = (p: Record<string, unknown>, path: string): number => {
    let product = 1;
    let orSum = 0;
    for (const [key, value] of Object.entries(p)) {
      if (key === '$or') {
        if (!Array.isArray(value) || value.length < 2)
          throw new FilterPolicyError(`${path}.$or must be an array of at least two policies`);
        for (const [i, sub] of value.entries()) {
          if (typeof sub !== 'object' || sub === null || Array.isArray(sub))
            throw new FilterPolicyError(`${path}.$or[${i}] must be an object`);
          orSum += visit(sub as Record<string, unknown>, `${path}.$or[${i}]`);
        }
        continue;
      }
      keys.add(key);
      if (!Array.isArray(value) || value.length === 0) {
        throw new FilterPolicyError(
          `${path}.${key} must be a non-empty array of conditions (got ${JSON.stringify(value)})`,
        );
      }
      for (const condition of value) validateCondition(condition, `${path}.${key}`);
      product *= value.length;
    }
    return orSum > 0 ? product * orSum : product;
  };
  combinations = visit(policy as Record<string, unknown>, where);
  if (keys.size > FILTER_POLICY_LIMITS.maxKeys) {
    throw new FilterPolicyError(
      `${where} has ${keys.size} attribute names; SNS allows at most ${FILTER_POLICY_LIMITS.maxKeys}`,
    );
  }
  if (combinations > FILTER_POLICY_LIMITS.maxCombinations) {
    throw new FilterPolicyError(
      `${where} has ${combinations} value combinations; SNS allows at most ${FILTER_POLICY_LIMITS.maxCombinations}`,
    );
  }
  return policy as FilterPolicy;
}

function validateCondition(c: unknown, where: string): void {
  if (typeof c === 'string') return;
  if (typeof c === 'number') return checkNumber(c, where);
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new FilterPolicyError(`${where}: ${JSON.stringify(c)} is not a string, a number or an operator object`);
  }
  const entries = Object.entries(c);
  if (entries.length !== 1)
    throw new FilterPolicyError(`${where}: an operator object has exactly one key, got ${JSON.stringify(c)}`);
  const [op, arg] = entries[0] as [string, unknown];
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string')
        throw new FilterPolicyError(`${where}: ${op} takes a string, got ${JSON.stringify(arg)}`);
      return;
    case 'exists':
      if (typeof arg !== 'boolean')
        throw new FilterPolicyError(`${where}: exists takes true or false, got ${JSON.stringify(arg)}`);
      return;
    case 'anything-but':
      return validateAnythingBut(arg, where);
    case 'numeric':
      return validateNumeric(arg, where);
    default:
      throw new FilterPolicyError(`${where}: unknown operator "${op}"`);
  }
}

function validateAnythingBut(arg: unknown, where: string): void {
  if (typeof arg === 'string') return;
  if (typeof arg === 'number') return checkNumber(arg, where);
  if (Array.isArray(arg)) {
    if (arg.length === 0) throw new FilterPolicyError(`${where}: anything-but needs at least one value`);
    for (const v of arg) {
      if (typeof v === 'number') checkNumber(v, where);
      else if (typeof v !== 'string')
        throw new FilterPolicyError(`${where}: anything-but lists strings or numbers, got ${JSON.stringify(v)}`);
    }
    return;
  }
  if (typeof arg === 'object' && arg !== null) {
    const entries = Object.entries(arg);
    const [op, value] = (entries[0] ?? []) as [string | undefined, unknown];
    if (entries.length === 1 && (op === 'prefix' || op === 'suffix') && typeof value === 'string') return;
  }
  throw new FilterPolicyError(
    `${where}: anything-but takes a value, an array of values, {"prefix": s} or {"suffix": s}; got ${JSON.stringify(arg)}`,
  );
}

function validateNumeric(arg: unknown, where: string): void {
  const ok =
    Array.isArray(arg) &&
    (arg.length === 2 || arg.length === 4) &&
    arg.every((x, i) => (i % 2 === 0 ? typeof x === 'string' && NUMERIC_OPERATORS.has(x) : typeof x === 'number'));
  if (!ok)
    throw new FilterPolicyError(
      `${where}: numeric takes ["op", n] or ["op", n, "op", n] with op one of < <= = > >=, got ${JSON.stringify(arg)}`,
    );
  const ops = arg as (string | number)[];
  for (let i = 1; i < ops.length; i += 2) checkNumber(ops[i] as number, where);
  if (ops.length === 4) {
    const [lo, loV, hi, hiV] = ops as [string, number, string, number];
    if (!(lo === '>' || lo === '>=') || !(hi === '<' || hi === '<=') || loV > hiV) {
      throw new FilterPolicyError(
        `${where}: a numeric range is [">" or ">=", low, "<" or "<=", high] with low ≤ high, got ${JSON.stringify(arg)}`,
      );
    }
  }
}

function checkNumber(n: number, where: string): void {
  if (!Number.isFinite(n) || Math.abs(n) > FILTER_POLICY_LIMITS.maxAbsNumber) {
    throw new FilterPolicyError(`${where}: numbers must lie within ±${FILTER_POLICY_LIMITS.maxAbsNumber}, got ${n}`);
  }
}

/** The values of one attribute as filter matching sees them. */
interface AttributeValues {
  readonly strings: readonly string[];
  readonly numbers: readonly number[];
}

function valuesOf(attribute: MessageAttribute): AttributeValues | undefined {
  const text = attribute.StringValue;
  if (text === undefined) return undefined;
  if (
    attribute.DataType === 'String' ||
    (attribute.DataType.startsWith('String.') && attribute.DataType !== 'String.Array')
  ) {
    return { strings: [text], numbers: [] };
  }
  if (attribute.DataType === 'Number' || attribute.DataType.startsWith('Number.')) {
    const n = Number(text);
    return Number.isFinite(n) ? { strings: [], numbers: [n] } : undefined;
  }
  if (attribute.DataType === 'String.Array') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed)) return undefined;
    return {
      strings: parsed.filter((v): v is string => typeof v === 'string'),
      numbers: parsed.filter((v): v is number => typeof v === 'number'),
    };
  }
  return undefined; // Binary: ignored by SNS filtering
}

/** Does a message with these attributes pass the policy? No policy passes everything. */
export function matchesFilterPolicy(policy: FilterPolicy | undefined, attributes: MessageAttributes): boolean {
  if (!policy) return true;
  const present = new Map<string, AttributeValues>();
  for (const [name, attribute] of Object.entries(attributes)) {
    const values = valuesOf(attribute);
    if (values) present.set(name, values);
  }
  return matchPolicy(policy, present);
}

function matchPolicy(policy: FilterPolicy, present: ReadonlyMap<string, AttributeValues>): boolean {
  for (const [key, conditions] of Object.entries(policy)) {
    if (key === '$or') {
      if (!(conditions as readonly FilterPolicy[]).some((sub) => matchPolicy(sub, present))) return false;
      continue;
    }
    const values = present.get(key);
    if (!(conditions as readonly FilterCondition[]).some((c) => matchCondition(c, values, present.size))) return false;
  }
  return true;
}

function matchCondition(c: FilterCondition, values: AttributeValues | undefined, attributeCount: number): boolean {
  if (typeof c === 'object' && 'exists' in c)
    return c.exists ? values !== undefined : values === undefined && attributeCount > 0;
  if (!values) return false;
  if (typeof c === 'string') return values.strings.includes(c);
  if (typeof c === 'number') return values.numbers.some((n) => n === c);
  if ('prefix' in c) return values.strings.some((s) => s.startsWith(c.prefix));
  if ('suffix' in c) return values.strings.some((s) => s.endsWith(c.suffix));
  if ('equals-ignore-case' in c) {
    const want = c['equals-ignore-case'].toLowerCase();
    return values.strings.some((s) => s.toLowerCase() === want);
  }
  if ('numeric' in c) return values.numbers.some((n) => numericMatches(c.numeric, n));
  return anythingBut(c['anything-but'], values);
}

function anythingBut(arg: AnythingBut, values: AttributeValues): boolean {
  const all = [...values.strings, ...values.numbers];
  if (all.length === 0) return false;
  if (typeof arg === 'object' && !Array.isArray(arg)) {
    const rule = arg as { prefix?: string; suffix?: string };
    if (rule.prefix !== undefined)
      return values.strings.length > 0 && values.strings.every((s) => !s.startsWith(rule.prefix as string));
    return values.strings.length > 0 && values.strings.every((s) => !s.endsWith(rule.suffix as string));
  }
  const excluded = (Array.isArray(arg) ? arg : [arg]) as readonly (string | number)[];
  // A String.Array passes only when none of its elements is excluded.
  return all.every((v) => !excluded.includes(v));
}

function numericMatches(ops: readonly (string | number)[], n: number): boolean {
  for (let i = 0; i < ops.length; i += 2) {
    const op = ops[i] as string;
    const bound = ops[i + 1] as number;
    const ok =
      op === '<'
        ? n < bound
        : op === '<='
          ? n <= bound
          : op === '='
            ? n === bound
            : op === '>'
              ? n > bound
              : n >= bound;
    if (!ok) return false;
  }
  return true;
}
