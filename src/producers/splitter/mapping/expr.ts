/**
 * Field expressions → closures over one record. A compiled expression returns the
 * field's text, or undefined when the record has no value there (absent, or a
 * `missing` token); a rule it breaks (a required field empty, a regex that does not
 * match, a key not in its lookup table) is written to `ctx.fail` and it returns
 * undefined. Callers check `ctx.fail` once per step, so the hot path throws nothing
 * and allocates nothing it does not keep.
 */
import type { Expr, LookupTable, Rejection as MappingRejection, Transforms } from '../../../shared/sources/mapping.ts';
import { clip, type Rejection } from '../rows.ts';
import type { Getter, RecordAccessor } from './accessor.ts';
import type { Problems } from './problems.ts';

/** Per-row scratch: variables by slot, and the first rule a step broke. */
export interface RowContext {
  vars: (string | undefined)[];
  fail: Rejection | undefined;
}

export type Compiled<R> = (record: R, ctx: RowContext) => string | undefined;

/** What an expression may refer to, fixed at compile time. */
export interface Scope<R> {
  readonly accessor: RecordAccessor<R>;
  /** Variable name → slot, for variables defined so far. */
  readonly vars: ReadonlyMap<string, number>;
  readonly lookups: ReadonlyMap<string, CompiledLookup>;
  /** Lower-cased texts meaning "no value". */
  readonly missing: ReadonlySet<string>;
  readonly problems: Problems;
}

export interface CompiledLookup {
  readonly name: string;
  readonly normalise: (text: string) => string;
  readonly entries: ReadonlyMap<string, Readonly<Record<string, string | null>>>;
  /** Every field some entry has. */
  readonly fields: ReadonlySet<string>;
}

export function compileLookup(name: string, table: LookupTable): CompiledLookup {
  const steps = table.normalise ?? ['trim', 'lower', 'spaces'];
  const normalise = (text: string): string => {
    let t = text;
    if (steps.includes('trim')) t = t.trim();
    if (steps.includes('lower')) t = t.toLowerCase();
    if (steps.includes('spaces')) t = t.replace(/\s+/g, ' ');
    return t;
  };
  const entries = new Map<string, Readonly<Record<string, string | null>>>();
  const fields = new Set<string>();
  for (const [key, entry] of Object.entries(table.entries)) {
    entries.set(normalise(key), entry);
    for (const f of Object.keys(entry)) fields.add(f);
  }
  return { name, normalise, entries, fields };
}

/** A message template's `{value}` → the offending text, quoted and clipped. */
export function fillMessage(message: string, value: string | undefined): string {
  return message.replace(/\{value\}/g, JSON.stringify(clip(value ?? '')));
}

/** A bare string or an object's `column`/`path`: the field name an accessor resolves. */
export function fieldName(expr: Expr): string | undefined {
  if (typeof expr === 'string') return expr;
  if ('column' in expr) return expr.column;
  if ('path' in expr) return expr.path;
  return undefined;
}

/** What an expression is called in messages. */
export function labelOf(expr: Expr, accessor: RecordAccessor<unknown>): string {
  if (typeof expr !== 'string' && 'label' in expr && expr.label !== undefined) return expr.label;
  const name = fieldName(expr);
  if (name !== undefined) return accessor.label(name);
  if (typeof expr !== 'string' && 'var' in expr) return expr.var;
  if (typeof expr !== 'string' && 'from' in expr) return labelOf(expr.from, accessor);
  return 'the field';
}

export function compileExpr<R>(expr: Expr, scope: Scope<R>, path: string): Compiled<R> {
  if (typeof expr === 'string') return withTransforms(source(expr, scope, path), {}, expr, scope, path);
  if ('const' in expr) {
    const value = expr.const === null ? undefined : String(expr.const);
    return () => value;
  }
  const label = labelOf(expr, scope.accessor as RecordAccessor<unknown>);
  if ('column' in expr) return withTransforms(source(expr.column, scope, `${path}.column`), expr, label, scope, path);
  if ('path' in expr) return withTransforms(source(expr.path, scope, `${path}.path`), expr, label, scope, path);
  if ('var' in expr) {
    const slot = scope.vars.get(expr.var);
    if (slot === undefined) {
      scope.problems.add(
        `${path}.var`,
        `names the variable ${JSON.stringify(expr.var)}, which is not defined before it`,
        `one of ${[...scope.vars.keys()].join(', ') || '(no variables)'} (vars are defined in order)`,
      );
      return () => undefined;
    }
    return withTransforms((_r, ctx) => ctx.vars[slot], expr, label, scope, path);
  }
  if ('template' in expr) return withTransforms(template(expr.template, scope, path), expr, label, scope, path);
  if ('regex' in expr) {
    const from = compileExpr(expr.from, scope, `${path}.from`);
    let re: RegExp;
    try {
      re = new RegExp(expr.regex);
    } catch (err) {
      scope.problems.add(
        `${path}.regex`,
        `is not a regular expression: ${(err as Error).message}`,
        'a JavaScript regex',
      );
      return () => undefined;
    }
    const group = expr.group;
    if (group !== undefined && !new RegExp(`\\(\\?<${group}>`).test(expr.regex)) {
      scope.problems.add(
        `${path}.group`,
        `names ${JSON.stringify(group)}, which the regex does not capture`,
        `a named group (?<${group}>…) in regex`,
      );
    }
    if (group === undefined && !/\((?!\?[:=!<])|\(\?<[A-Za-z]/.test(expr.regex)) {
      scope.problems.add(`${path}.regex`, 'has no capturing group', 'a group such as (?<id>\\d+)');
    }
    const unmatched = rule(
      expr.unmatched,
      'invalid_field',
      `${labelOf(expr.from, scope.accessor as RecordAccessor<unknown>)} {value} does not match ${expr.regex}`,
    );
    const cache = new Map<string, string | null>();
    const inner: Compiled<R> = (r, ctx) => {
      const text = from(r, ctx);
      if (text === undefined) return undefined;
      let out = cache.get(text);
      if (out === undefined) {
        const m = re.exec(text);
        out =
          m === null
            ? null
            : ((group === undefined ? (m.groups ? Object.values(m.groups)[0] : m[1]) : m.groups?.[group]) ?? null);
        if (cache.size > 8192) cache.clear();
        cache.set(text, out);
      }
      if (out === null) {
        ctx.fail = { reason: unmatched.reason, message: fillMessage(unmatched.message, text) };
        return undefined;
      }
      return out;
    };
    return withTransforms(inner, expr, label, scope, path);
  }
  // lookup
  const table = scope.lookups.get(expr.lookup);
  if (table === undefined) {
    scope.problems.add(
      `${path}.lookup`,
      `names the table ${JSON.stringify(expr.lookup)}, which lookups does not define`,
      `one of ${[...scope.lookups.keys()].join(', ') || '(no lookups)'}`,
    );
    return () => undefined;
  }
  if (!table.fields.has(expr.get)) {
    scope.problems.add(
      `${path}.get`,
      `asks for ${JSON.stringify(expr.get)}, which no entry of lookup ${table.name} has`,
      `one of ${[...table.fields].join(', ')}`,
    );
  }
  const from = compileExpr(expr.from, scope, `${path}.from`);
  const unknown = rule(
    expr.unknown,
    'invalid_field',
    `${labelOf(expr.from, scope.accessor as RecordAccessor<unknown>)} {value} is not in the lookup ${table.name}`,
  );
  const get = expr.get;
  const cache = new Map<string, string | null>();
  const inner: Compiled<R> = (r, ctx) => {
    const text = from(r, ctx);
    if (text === undefined) return undefined;
    let out = cache.get(text);
    if (out === undefined) {
      const entry = table.entries.get(table.normalise(text));
      out = entry === undefined ? null : (entry[get] ?? '');
      if (cache.size > 8192) cache.clear();
      cache.set(text, out);
    }
    if (out === null) {
      ctx.fail = { reason: unknown.reason, message: fillMessage(unknown.message, text) };
      return undefined;
    }
    return out === '' ? undefined : out;
  };
  return withTransforms(inner, { ...expr, trim: false }, label, scope, path);
}

function rule(given: MappingRejection | undefined, reason: Rejection['reason'], message: string): Rejection {
  return given ?? { reason, message };
}

function source<R>(name: string, scope: Scope<R>, path: string): Compiled<R> {
  const get: Getter<R> | undefined = scope.accessor.field(name);
  if (get === undefined) {
    // the layout has no such field: every record lacks it (recognition decides whether that is allowed)
    void path;
    return () => undefined;
  }
  // the getter itself (it ignores the context): one call less per field per record
  return get;
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

function template<R>(text: string, scope: Scope<R>, path: string): Compiled<R> {
  const parts: (string | Compiled<R>)[] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    if (m.index > at) parts.push(text.slice(at, m.index));
    const slot = scope.vars.get(name);
    if (slot !== undefined) parts.push((_r, ctx) => ctx.vars[slot]);
    else {
      const get = scope.accessor.field(name);
      if (get === undefined) {
        scope.problems.add(
          `${path}.template`,
          `names {${name}}, which is neither a variable nor a field of this layout`,
          `one of the variables ${[...scope.vars.keys()].join(', ') || '(none)'} or a column/path`,
        );
      }
      parts.push(trimmedField(get, scope.missing));
    }
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return (r, ctx) => {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else {
        const v = p(r, ctx);
        if (v === undefined) return undefined; // a template over a missing field is missing
        out += v;
      }
    }
    return out;
  };
}

function trimmedField<R>(get: Getter<R> | undefined, missing: ReadonlySet<string>): Compiled<R> {
  if (get === undefined) return () => undefined;
  return (r) => {
    const raw = get(r);
    if (raw === undefined) return undefined;
    const t = raw.trim();
    return isMissing(t, missing) ? undefined : t;
  };
}

export function isMissing(text: string, missing: ReadonlySet<string>): boolean {
  return text === '' || (missing.size > 1 && missing.has(text.toLowerCase()));
}

function withTransforms<R>(
  inner: Compiled<R>,
  t: Transforms,
  label: string,
  scope: Scope<R>,
  path: string,
): Compiled<R> {
  const trim = t.trim ?? true;
  const upper = t.case === 'upper';
  const lower = t.case === 'lower';
  const slice = t.slice;
  if (slice !== undefined && slice[1] <= slice[0])
    scope.problems.add(
      `${path}.slice`,
      `is [${slice[0]}, ${slice[1]}], an empty range`,
      '[start, end] with end > start',
    );
  const requiredMessage =
    t.required === undefined || t.required === false
      ? undefined
      : t.required === true
        ? `${label} is empty`
        : t.required;
  const missing = scope.missing;
  if (trim && !upper && !lower && slice === undefined && requiredMessage === undefined)
    // the common case (a plain column or path), with a closure of its own so its call site stays monomorphic
    return (r, ctx) => {
      const text = inner(r, ctx);
      if (text === undefined) return undefined;
      const t = text.trim();
      return isMissing(t, missing) ? undefined : t;
    };
  return (r, ctx) => {
    let text = inner(r, ctx);
    if (text !== undefined) {
      if (trim) text = text.trim();
      if (isMissing(text, missing)) text = undefined;
    }
    if (text === undefined) {
      if (requiredMessage !== undefined && ctx.fail === undefined)
        ctx.fail = { reason: 'missing_field', message: requiredMessage };
      return undefined;
    }
    if (upper) text = text.toUpperCase();
    else if (lower) text = text.toLowerCase();
    if (slice !== undefined) {
      if (text.length < slice[1]) {
        ctx.fail = {
          reason: 'invalid_field',
          message: `${label} ${JSON.stringify(clip(text))} is shorter than ${slice[1]} characters; characters ${slice[0] + 1}–${slice[1]} are wanted`,
        };
        return undefined;
      }
      text = text.slice(slice[0], slice[1]);
    }
    return text;
  };
}
