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
  /** `missingToken(missing)`, made once per mapper. @default made from `missing` */
  readonly token?: ((text: string) => boolean) | undefined;
  readonly problems: Problems;
  /** Variables whose every definition gives trimmed text that is no missing token (`givesNormalised`). */
  readonly normalisedVars?: ReadonlySet<string> | undefined;
  /** Field getters by name, filled as expressions are compiled (two expressions reading one field share its getter). */
  readonly getters?: Map<string, Getter<R> | undefined> | undefined;
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
  if (typeof expr === 'string') return fromField(expr, {}, expr, scope, path);
  if ('const' in expr) {
    const value = expr.const === null ? undefined : String(expr.const);
    return withInfo(() => value, { constant: true });
  }
  const label = labelOf(expr, scope.accessor as RecordAccessor<unknown>);
  if ('column' in expr) return fromField(expr.column, expr, label, scope, path);
  if ('path' in expr) return fromField(expr.path, expr, label, scope, path);
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
    // every definition of the variable gave trimmed text that is no missing token: trimming
    // and testing it again would change nothing, so the reference is the slot itself
    if (
      scope.normalisedVars?.has(expr.var) === true &&
      expr.case === undefined &&
      expr.slice === undefined &&
      (expr.required === undefined || expr.required === false)
    )
      return withInfo((_r, ctx) => ctx.vars[slot], { operand: shape({ kind: OP_SLOT, slot }) });
    const ref = withTransforms((_r, ctx) => ctx.vars[slot], expr, label, scope, path);
    if (!(expr.trim ?? true) || expr.slice !== undefined) return ref;
    const required = requiredRejection(expr, label);
    return withInfo(ref, { operand: shape({ kind: OP_VAR, slot, fold: foldOf(expr), required }) });
  }
  if ('template' in expr) {
    const inner = template(expr.template, scope, path);
    const filled = withTransforms(inner, expr, label, scope, path);
    const parts = infoOf(inner).operand;
    if (parts === undefined || !(expr.trim ?? true) || expr.slice !== undefined) return filled;
    const required = requiredRejection(expr, label);
    return withInfo(filled, { operand: { ...parts, fold: foldOf(expr), required } });
  }
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
    return withInfo(withTransforms(inner, expr, label, scope, path), sameSource(from));
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
  return withInfo(withTransforms(inner, { ...expr, trim: false }, label, scope, path), sameSource(from));
}

/**
 * What compile time knows of a compiled expression, kept beside it (nothing is looked up
 * per record): the mapper caches the results of a step whose expressions read one field
 * alone by that field's text (mapper.ts `measure`).
 */
export interface ExprInfo<R> {
  /** The expression reads this getter's text and nothing else: the same text, the same result (or broken rule). */
  readonly pureOn?: Getter<R> | undefined;
  /** `pureOn` reads this CSV cell (its index). */
  readonly pureAt?: number | undefined;
  /** The expression reads nothing: always the same result. */
  readonly constant?: boolean | undefined;
  /** How the expression reads in place (`readOperand`, the generated row function); absent: by calling it. */
  readonly operand?: OperandShape<R> | undefined;
}

export const FOLD_NONE = 0;
export const FOLD_UPPER = 1;
export const FOLD_LOWER = 2;

/** Call the compiled closure. */
export const OP_FN = 0;
/** A CSV cell (`at`), trimmed, then folded (`fold`) or, empty, rejected (`required`). */
export const OP_CELL = 1;
/** A variable (`slot`) with those transforms. */
export const OP_VAR = 2;
/** A variable (`slot`) as it is: every definition gave normalised text (`givesNormalised`). */
export const OP_SLOT = 3;
/** A template: `literals[i]` before `parts[i]`, missing when a part is; then the transforms of OP_CELL. */
export const OP_TEMPLATE = 4;

/**
 * How an expression is read without calling it: what the closures `fromField`,
 * `withTransforms` (trimmed, no slice) and `template` do, as data. A call site seeing
 * many closures of one kind inlines none of them, so the hot path reads these in place.
 */
export interface OperandShape<R> {
  readonly kind: number;
  readonly at: number;
  readonly slot: number;
  readonly fold: number;
  readonly required: Rejection | undefined;
  readonly literals: readonly string[];
  readonly parts: readonly Operand<R>[];
}

export interface Operand<R> extends OperandShape<R> {
  readonly fn: Compiled<R>;
}

const NO_SHAPE: OperandShape<unknown> = {
  kind: OP_FN,
  at: -1,
  slot: -1,
  fold: FOLD_NONE,
  required: undefined,
  literals: [],
  parts: [],
};

function shape<R>(s: Partial<OperandShape<R>>): OperandShape<R> {
  return { ...(NO_SHAPE as OperandShape<R>), ...s };
}

function foldOf(t: Transforms): number {
  return t.case === 'upper' ? FOLD_UPPER : t.case === 'lower' ? FOLD_LOWER : FOLD_NONE;
}

export function operandOf<R>(fn: Compiled<R>): Operand<R> {
  return { ...(infoOf(fn).operand ?? (NO_SHAPE as OperandShape<R>)), fn };
}

/** What `op.fn(record, ctx)` returns, read in place where its shape says how (see `OperandShape`). */
export function readOperand<R>(
  op: Operand<R>,
  record: R,
  ctx: RowContext,
  token: ((text: string) => boolean) | undefined,
): string | undefined {
  let raw: string | undefined;
  switch (op.kind) {
    case OP_CELL:
      raw = (record as unknown as readonly (string | undefined)[])[op.at];
      break;
    case OP_VAR:
      raw = ctx.vars[op.slot];
      break;
    case OP_SLOT:
      return ctx.vars[op.slot];
    case OP_TEMPLATE:
      raw = fillTemplate(op, record, ctx, token);
      break;
    default:
      return op.fn(record, ctx);
  }
  const t = raw === undefined ? '' : trimText(raw);
  if (t === '' || (token !== undefined && token(t))) {
    const required = op.required;
    if (required !== undefined && ctx.fail === undefined) ctx.fail = required;
    return undefined;
  }
  const fold = op.fold;
  return fold === FOLD_NONE ? t : fold === FOLD_UPPER ? upperCase(t) : lowerCase(t);
}

function fillTemplate<R>(
  op: Operand<R>,
  record: R,
  ctx: RowContext,
  token: ((text: string) => boolean) | undefined,
): string | undefined {
  const { literals, parts } = op;
  let out = literals[0] as string;
  for (let i = 0; i < parts.length; i++) {
    const v = readOperand(parts[i] as Operand<R>, record, ctx, token);
    if (v === undefined) return undefined;
    out = out + v + (literals[i + 1] as string);
  }
  return out;
}

/** The rejection for a `required` expression that is empty, or undefined. */
function requiredRejection(t: Transforms, label: string): Rejection | undefined {
  if (t.required === undefined || t.required === false) return undefined;
  return { reason: 'missing_field', message: t.required === true ? `${label} is empty` : t.required };
}

const INFO = new WeakMap<object, ExprInfo<unknown>>();

function withInfo<R>(compiled: Compiled<R>, info: ExprInfo<R>): Compiled<R> {
  INFO.set(compiled, info as ExprInfo<unknown>);
  return compiled;
}

/** What an expression over `from` inherits from it: which field it reads (not how: it is no plain cell). */
function sameSource<R>(from: Compiled<R>): ExprInfo<R> {
  const { pureOn, pureAt, constant } = infoOf(from);
  return { pureOn, pureAt, constant };
}

export function infoOf<R>(compiled: Compiled<R>): ExprInfo<R> {
  return (INFO.get(compiled) ?? {}) as ExprInfo<R>;
}

/**
 * Whether an expression's every result is trimmed text that is no `missing` token (or
 * nothing): then a variable it defines needs no transforms where it is used. Judged from
 * the mapping alone; a case fold to lower keeps it (lower-casing is idempotent and makes
 * no white space), an upper fold or a slice does not.
 */
export function givesNormalised(expr: Expr, missing: ReadonlySet<string>): boolean {
  if (typeof expr === 'string') return true;
  if ('const' in expr) {
    if (expr.const === null) return true;
    const value = String(expr.const);
    return value.trim() === value && !isMissing(value, missing);
  }
  if ('lookup' in expr) return false; // a lookup's text is not trimmed
  return expr.trim !== false && expr.slice === undefined && (expr.case === undefined || expr.case === 'lower');
}

function rule(given: MappingRejection | undefined, reason: Rejection['reason'], message: string): Rejection {
  return given ?? { reason, message };
}

/** The getter of a field, one per name and scope (so that two expressions reading one field share it). */
function getterOf<R>(name: string, scope: Scope<R>): Getter<R> | undefined {
  const memo = scope.getters;
  if (memo === undefined) return scope.accessor.field(name);
  if (memo.has(name)) return memo.get(name);
  const get = scope.accessor.field(name);
  memo.set(name, get);
  return get;
}

/**
 * A column or path with its transforms. The plain case (trimmed, no case, slice or
 * `required`) — nearly every field a mapping reads — gets a closure of its own, reading
 * a CSV row's cell by index where the accessor knows it, so that a row costs one array
 * read, one `trim` and one comparison per field, as a hand-written mapper's does.
 */
function fromField<R>(name: string, t: Transforms, label: string, scope: Scope<R>, path: string): Compiled<R> {
  const get = getterOf(name, scope);
  if (get === undefined) {
    // the layout has no such field: every record lacks it (recognition decides whether that is allowed)
    return withInfo(
      withTransforms(() => undefined, t, label, scope, path),
      { constant: true },
    );
  }
  const at = scope.accessor.index?.(name);
  const trimmed = (t.trim ?? true) && t.slice === undefined;
  const info: ExprInfo<R> = {
    pureOn: get,
    pureAt: at,
    // a trimmed CSV cell, maybe case-folded or required: read in place (`readOperand`)
    ...(trimmed && at !== undefined
      ? { operand: shape({ kind: OP_CELL, at, fold: foldOf(t), required: requiredRejection(t, label) }) }
      : {}),
  };
  const plain =
    (t.trim ?? true) &&
    t.case === undefined &&
    t.slice === undefined &&
    (t.required === undefined || t.required === false);
  if (plain && at !== undefined) {
    const token = tokenOf(scope);
    if (token !== undefined)
      return withInfo((r) => {
        const raw = (r as unknown as readonly (string | undefined)[])[at];
        if (raw === undefined) return undefined;
        const text = trimText(raw);
        return text === '' || token(text) ? undefined : text;
      }, info);
    return withInfo((r) => {
      const raw = (r as unknown as readonly (string | undefined)[])[at];
      if (raw === undefined) return undefined;
      const text = trimText(raw);
      return text === '' ? undefined : text;
    }, info);
  }
  return withInfo(withTransforms(get, t, label, scope, path), info);
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

function template<R>(text: string, scope: Scope<R>, path: string): Compiled<R> {
  // literals[i] comes before fields[i]; the last literal after the last field
  const literals: string[] = [];
  const fields: Compiled<R>[] = [];
  // each part as read in place (`readOperand`): a variable as it is, a CSV cell trimmed
  const parts: Operand<R>[] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    literals.push(text.slice(at, m.index));
    const slot = scope.vars.get(name);
    if (slot !== undefined) {
      const part: Compiled<R> = (_r, ctx) => ctx.vars[slot];
      fields.push(part);
      parts.push({ ...shape({ kind: OP_SLOT, slot }), fn: part });
    } else {
      const get = scope.accessor.field(name);
      if (get === undefined) {
        scope.problems.add(
          `${path}.template`,
          `names {${name}}, which is neither a variable nor a field of this layout`,
          `one of the variables ${[...scope.vars.keys()].join(', ') || '(none)'} or a column/path`,
        );
      }
      const part = trimmedField(get, tokenOf(scope));
      fields.push(part);
      const cell = get === undefined ? undefined : scope.accessor.index?.(name);
      parts.push({ ...shape(cell === undefined ? {} : { kind: OP_CELL, at: cell }), fn: part });
    }
    at = m.index + m[0].length;
  }
  literals.push(text.slice(at));
  const n = fields.length;
  if (n === 0) {
    const whole = literals[0] as string;
    return () => whole;
  }
  const first = literals[0] as string;
  const filled: Compiled<R> = (r, ctx) => {
    let out = first;
    for (let i = 0; i < n; i++) {
      const v = (fields[i] as Compiled<R>)(r, ctx);
      if (v === undefined) return undefined; // a template over a missing field is missing
      out = out + v + (literals[i + 1] as string);
    }
    return out;
  };
  return withInfo(filled, { operand: shape({ kind: OP_TEMPLATE, literals, parts }) });
}

function trimmedField<R>(get: Getter<R> | undefined, token: ((text: string) => boolean) | undefined): Compiled<R> {
  if (get === undefined) return () => undefined;
  return (r) => {
    const raw = get(r);
    if (raw === undefined) return undefined;
    const t = trimText(raw);
    return t === '' || (token !== undefined && token(t)) ? undefined : t;
  };
}

/** The scope's token test (`missingToken`). */
function tokenOf<R>(scope: Scope<R>): ((text: string) => boolean) | undefined {
  return scope.token ?? missingToken(scope.missing);
}

/**
 * The ASCII characters (1 at their code) an ASCII text's first may be, in either case, for
 * the text to lower-case into one of the `missing` tokens: a text whose first character
 * is ASCII and 0 here is no token.
 */
export function tokenFirsts(missing: ReadonlySet<string>): Uint8Array {
  const firsts = new Uint8Array(128);
  for (const t of missing) {
    if (t === '') continue;
    const c = t.charCodeAt(0);
    if (c >= 0x80) continue; // an ASCII text never lower-cases to a non-ASCII first character
    firsts[c] = 1;
    if (c >= 0x61 && c <= 0x7a) firsts[c - 0x20] = 1;
  }
  return firsts;
}

/**
 * `text.trim()`, without the call (a tenth of a row's mapping, field by field) when the
 * text starts and ends with a printable ASCII character, which no white space is.
 */
export function trimText(text: string): string {
  const n = text.length;
  if (n === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(n - 1);
  return first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f ? text : text.trim();
}

/** `text.toLowerCase()`, without a new string for ASCII text with no upper-case letter (`feeder`). */
export function lowerCase(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || (c >= 0x41 && c <= 0x5a)) return text.toLowerCase();
  }
  return text;
}

/** `text.toUpperCase()`, without a new string for ASCII text with no lower-case letter (`NGED`). */
export function upperCase(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || (c >= 0x61 && c <= 0x7a)) return text.toUpperCase();
  }
  return text;
}

export function isMissing(text: string, missing: ReadonlySet<string>): boolean {
  return text === '' || (missing.size > 1 && missing.has(text.toLowerCase()));
}

/**
 * Whether a non-empty text is one of the `missing` tokens besides the empty one: exactly
 * `missing.has(text.toLowerCase())`, but without lower-casing (a new string, hashed for
 * the lookup) the texts that cannot be one — nearly all: a text whose first character
 * is ASCII and no token's first, or an ASCII text of no token's length. ASCII text
 * lower-cases character by character, keeping its length; anything else is lower-cased
 * and looked up as before. Undefined when the empty text is the only token (then
 * `isMissing` never looks a text up).
 */
export function missingToken(missing: ReadonlySet<string>): ((text: string) => boolean) | undefined {
  if (missing.size <= 1) return undefined;
  const tokens = [...missing].filter((t) => t !== '');
  const firsts = tokenFirsts(missing);
  return (text) => {
    const first = text.charCodeAt(0);
    if (first < 0x80 && firsts[first] === 0) return false;
    const n = text.length;
    for (let i = 0; i < n; i++) if (text.charCodeAt(i) >= 0x80) return missing.has(text.toLowerCase());
    for (const t of tokens) {
      if (t.length !== n) continue;
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== t.charCodeAt(i)) break;
      }
      if (i === n) return true;
    }
    return false;
  };
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
  // one rejection for every record missing the field (nothing reads it but to copy it)
  const required: Rejection | undefined =
    requiredMessage === undefined ? undefined : { reason: 'missing_field', message: requiredMessage };
  const token = tokenOf(scope);
  if (trim && !upper && !lower && slice === undefined && required === undefined)
    // the common case (a plain column or path), with a closure of its own so its call site stays monomorphic
    return (r, ctx) => {
      const text = inner(r, ctx);
      if (text === undefined) return undefined;
      const t = trimText(text);
      return t === '' || (token !== undefined && token(t)) ? undefined : t;
    };
  if (trim && slice === undefined)
    // trimmed, maybe case-folded or required (`{column: …, required: true}`, `case: upper`)
    return (r, ctx) => {
      const text = inner(r, ctx);
      const t = text === undefined ? '' : trimText(text);
      if (t === '' || (token !== undefined && token(t))) {
        if (required !== undefined && ctx.fail === undefined) ctx.fail = required;
        return undefined;
      }
      return upper ? upperCase(t) : lower ? lowerCase(t) : t;
    };
  return (r, ctx) => {
    let text = inner(r, ctx);
    if (text !== undefined) {
      if (trim) text = trimText(text);
      if (text === '' || (token !== undefined && token(text))) text = undefined;
    }
    if (text === undefined) {
      if (required !== undefined && ctx.fail === undefined) ctx.fail = required;
      return undefined;
    }
    if (upper) text = upperCase(text);
    else if (lower) text = lowerCase(text);
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
