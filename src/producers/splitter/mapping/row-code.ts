/**
 * A compiled mapping's row function as straight-line JavaScript, made once per header or
 * JSON document (`rowFunction`): the mapper's steps (mapper.ts `mapByClosures`, which it
 * must match result for result) written out for this mapping alone — each CSV cell read
 * by its index, each variable kept in a local, each branch test a comparison, each wide
 * column a block of its own — so a row costs what a hand-written mapper's costs. Built
 * from closures alone, the engine called a closure per field through call sites that
 * many closures share, which V8 cannot inline ("many closures" feedback): an LV row cost
 * about twice the hand-written mapper's instructions.
 *
 * Safety: the source is this module's own text, integer literals it checks, and
 * references to `k[i]`, the array of constants (texts, sets, regexes, compiled
 * closures); nothing from a mapping or a file is ever part of it, so no mapping can
 * inject code. Where code cannot be made from text (`--disallow-code-generation-from-strings`),
 * `rowFunction` returns undefined and the mapper keeps its closures.
 */
import type { UnitBounds } from '../../../shared/bounds.ts';
import type { EmitReading, Measure, Rejection, Site } from '../rows.ts';
import type { Getter, NumericGetter } from './accessor.ts';
import {
  FOLD_LOWER,
  FOLD_UPPER,
  OP_CELL,
  OP_SLOT,
  OP_TEMPLATE,
  OP_VAR,
  type Compiled,
  type Operand,
  type RowContext,
} from './expr.ts';

export type RejectReading = (rejection: Rejection) => void;
export type RowFunction<R> = (record: R, emit: EmitReading, rejectReading?: RejectReading) => Rejection | undefined;

export interface CompiledRule<R> {
  readonly field: Operand<R>;
  readonly reason: Rejection['reason'];
  readonly message: string;
}

export interface CompiledBranch<R> {
  /** The field `if` tests; undefined for a branch without `if` (it always applies). */
  readonly field: Operand<R> | undefined;
  /** `equals` of one text (the usual test: one comparison), else the set and/or the regex. */
  readonly only: string | undefined;
  readonly equals: ReadonlySet<string> | undefined;
  readonly matches: RegExp | undefined;
  /** Nothing to do once taken but the site and timestamp: no rejection, variables or rules. */
  readonly plain: boolean;
  readonly vars: Vars<R>;
  readonly require: readonly CompiledRule<R>[];
  readonly forbid: readonly CompiledRule<R>[];
  readonly reject: Rejection | undefined;
  /** Period-end labels move back by this much (0: start-labelled). */
  readonly shiftMs: number | undefined;
}

/** Variables to set, in order: slot `slots[i]` ← `exprs[i]`. */
export interface Vars<R> {
  readonly slots: number[];
  readonly exprs: Operand<R>[];
}

/** The site's expressions in effect for a row: a branch's own, else the mapping's (resolved once, not per row). */
export interface SiteExprs<R> {
  /** Where the substation id is read (its expression and label). */
  readonly substation: SiteId<R>;
  readonly feeder: Operand<R> | undefined;
  readonly name: Operand<R> | undefined;
  readonly asset: Operand<R> | undefined;
}

/** The substation id's expression and what it is called in messages. */
export interface SiteId<R> {
  readonly id: Operand<R> | undefined;
  readonly label: string;
}

export interface ValueColumn<R> {
  readonly text: Operand<R>;
  /** JSON: the value as a number when it is one (the accessor's `numeric`). */
  readonly numeric?: NumericGetter<R> | undefined;
  readonly label: string;
  readonly measure: Measure;
  readonly factor: number;
  readonly boolean: boolean;
}

/** A wide reading's column: its getter (the raw text; `at` its CSV index, else -1) and its unit's bounds. */
export interface WideColumn<R> extends ValueColumn<R> {
  readonly get: Getter<R>;
  readonly at: number;
  readonly bounds: UnitBounds | undefined;
}

/**
 * A long reading's measure as the text of the one field it is read from gives it (an LV
 * file's Description): the measure or why there is none, its unit's bounds, and the last
 * source-unit text seen with it and the factor that text gave.
 */
export interface MeasureEntry {
  readonly measure: Measure | Rejection;
  readonly bounds: UnitBounds | undefined;
  unitSeen: boolean;
  unitText: string | undefined;
  unitResult: number | Rejection;
}

/** A field read by a getter of its own: `at` is its CSV index (read in place), else -1. */
export interface KeyField<R> {
  readonly get: Getter<R>;
  readonly at: number;
}

/** What a row needs of its mapper beyond the plan: the rare paths, as calls. */
export interface RowHelpers<R> {
  /** The measure entry for a key text not cached yet (computed, cached). */
  measureEntry(record: R, key: string | undefined): MeasureEntry;
  /** The source unit's factor for a text the entry has not seen last (computed, kept on the entry). */
  unitMemo(record: R, entry: MeasureEntry, text: string | undefined): number | Rejection;
  /** The measure without the cache (its fields read more than one field). */
  measure(record: R): Measure | Rejection;
  unitFactor(record: R, measure: Measure): number | Rejection;
  boundsOf(unit: string): UnitBounds | undefined;
  timestamp(text: string, shiftMs: number): string | Rejection;
  /** A read time (`times.read`) moved back by `shiftMs` (period-end labels), cached by its text. */
  shifted(text: string, ms: number, shiftMs: number): string;
  /** `bad_timestamp` for what the time reader said. */
  badTimestamp(message: string): Rejection;
  number(
    text: string,
    c: ValueColumn<R>,
    unit: string,
    factor: number,
    bounds: UnitBounds | undefined,
  ): number | Rejection;
  referenceOf(record: R, site: Site): Rejection | undefined;
  /** A rejecting branch's rejection, its `{value}` the text the last test (`tested`, a branch index) read. */
  branchRejection(branch: number, record: R, tested: number): Rejection;
  ruleRejection(rule: CompiledRule<R>, value: string | undefined): Rejection;
  /** `out_of_bounds` when the value is outside its unit's bounds (`judgeBounds`), else undefined. */
  outOfBounds(label: string, unit: string, value: number, bounds: UnitBounds | undefined): Rejection | undefined;
  missing(label: string): Rejection;
}

/** The mapper's steps for one layout instance, as the row function reads them. */
export interface RowPlan<R> {
  readonly ctx: RowContext;
  readonly token: ((text: string) => boolean) | undefined;
  /** ASCII first characters a missing token may start with (1), for testing a text's first before calling `token`. */
  readonly tokenFirsts: Uint8Array | undefined;
  readonly vars: Vars<R>;
  readonly substationFirst: boolean;
  readonly baseId: SiteId<R>;
  readonly branches: readonly CompiledBranch<R>[];
  readonly baseSite: SiteExprs<R>;
  readonly branchSites: readonly SiteExprs<R>[];
  readonly shiftMs: number;
  readonly ts: Operand<R>;
  readonly tsLabel: string;
  /** The reader of `format: auto` times (read in place), else undefined (epoch formats: `helpers.timestamp`). */
  readonly times:
    { read(text: string): { ok: true; ts: string; ms: number } | { ok: false; message: string } } | undefined;
  /** Long: the value column, and the measure's key field (undefined: uncached) and the source unit's. */
  readonly long:
    | {
        readonly value: ValueColumn<R>;
        readonly measureKey: KeyField<R> | undefined;
        readonly measureCache: Map<string | undefined, MeasureEntry>;
        readonly sourceUnit: boolean;
        readonly unitKey: KeyField<R> | undefined;
      }
    | undefined;
  readonly columns: readonly WideColumn<R>[];
  /** JSON numbers that stand for a missing value (the source's missing tokens that are numbers). */
  readonly missingNumbers: ReadonlySet<number>;
  readonly rejectReading: boolean;
  /** The registry loader's `onReference` is set: each accepted record's reference attributes are read. */
  readonly withReference: boolean;
  readonly sites: { get(substationId: string, name: string, feederId: string, assetId?: string): Site };
  readonly helpers: RowHelpers<R>;
}

/** Functions the generated code calls by name (passed in, so it reaches nothing else). */
export interface RowLibrary {
  readonly lowerCase: (text: string) => string;
  readonly upperCase: (text: string) => string;
  readonly readDecimal: (text: string, column: string) => number | Rejection;
  readonly checkSubstationId: (id: string, column: string) => Rejection | undefined;
}

/** An integer for the source: anything else is refused (nothing but integers is ever written into it). */
function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`row code: ${String(n)} is not an integer`);
  return String(n);
}

type Factory = (...args: unknown[]) => RowFunction<never>;

/**
 * Factories by their source: the files of one layout make the same source (their
 * constants differ, not their code), and a row function made by a factory made before
 * starts with the code V8 optimised for the earlier ones (it keeps that per function
 * literal), so a container's later files are not mapped by a cold function.
 */
const FACTORIES = new Map<string, Factory>();
const FACTORIES_LIMIT = 64;

/** The row function of `plan`, or undefined where code cannot be made from text. */
export function rowFunction<R>(plan: RowPlan<R>, lib: RowLibrary): RowFunction<R> | undefined {
  const { body, constants } = rowSource(plan);
  let factory = FACTORIES.get(body);
  if (factory === undefined) {
    try {
      // the source holds no text from a mapping or a file (see above)
      factory = new Function(...FACTORY_PARAMS, body) as Factory;
    } catch (err) {
      if (err instanceof EvalError) return undefined;
      throw err;
    }
    if (FACTORIES.size >= FACTORIES_LIMIT) FACTORIES.clear();
    FACTORIES.set(body, factory);
  }
  return (factory as (...args: unknown[]) => RowFunction<R>)(
    constants,
    plan.ctx,
    plan.token,
    plan.sites,
    plan.long?.measureCache,
    plan.helpers,
    lib.lowerCase,
    lib.upperCase,
    lib.readDecimal,
    lib.checkSubstationId,
  );
}

const FACTORY_PARAMS = [
  'k',
  'ctx',
  'token',
  'sites',
  'measureCache',
  'h',
  'lowerCase',
  'upperCase',
  'readDecimal',
  'checkSubstationId',
] as const;

/** The row function's source (the factory's body) and its constants. Exported for the tests. */
export function rowSource<R>(plan: RowPlan<R>): { body: string; constants: unknown[] } {
  const constants: unknown[] = [];
  // each constant a local of the factory (`K7`), read from `k` once
  const k = (value: unknown): string => {
    constants.push(value);
    return `K${int(constants.length - 1)}`;
  };
  const out: string[] = [];
  const line = (s: string): void => {
    out.push(s);
  };
  const FAIL = 'if (ctx.fail !== undefined) return ctx.fail;';

  // a trimmed text `t` that is missing: empty, or a token (its first character tested here, `token` called only when it may be one)
  const firsts = plan.tokenFirsts === undefined ? undefined : k(plan.tokenFirsts);
  const MISSING =
    plan.token === undefined || firsts === undefined
      ? "t === ''"
      : `t === '' || (${firsts}[t.charCodeAt(0)] !== 0 && token(t))`;
  let labels = 0;
  // t = raw trimmed, or '' for no raw: `trimText` written out (a call per field would not be inlined)
  const TRIM =
    "if (raw === undefined) t = ''; else { t = raw; n = t.length; if (n !== 0) { " +
    'c0 = t.charCodeAt(0); c1 = t.charCodeAt(n - 1); ' +
    'if (c0 <= 32 || c0 >= 127 || c1 <= 32 || c1 >= 127) t = t.trim(); } }';
  /** Statements setting `target` to what the operand gives (as `readOperand` does). */
  const read = (op: Operand<R>, target: string): string => {
    let source: string;
    switch (op.kind) {
      case OP_CELL:
        source = `raw = r[${int(op.at)}];`;
        break;
      case OP_VAR:
        source = `raw = vars[${int(op.slot)}];`;
        break;
      case OP_SLOT:
        return `${target} = vars[${int(op.slot)}];`;
      case OP_TEMPLATE: {
        // parts read into p, the text built in acc; a missing part makes the template missing
        const label = `tp${int(labels++)}`;
        const steps = [`acc = ${k(op.literals[0])};`, `${label}: {`];
        op.parts.forEach((part, i) => {
          steps.push(read(part, 'p'));
          steps.push(`if (p === undefined) { acc = undefined; break ${label}; }`);
          steps.push(`acc = acc + p + ${k(op.literals[i + 1])};`);
        });
        steps.push('}');
        source = `${steps.join('\n')}\nraw = acc;`;
        break;
      }
      default:
        return `${target} = ${k(op.fn as Compiled<R>)}(r, ctx);`;
    }
    const required = op.required === undefined ? '' : `if (ctx.fail === undefined) ctx.fail = ${k(op.required)}; `;
    const fold = op.fold === FOLD_UPPER ? 'upperCase(t)' : op.fold === FOLD_LOWER ? 'lowerCase(t)' : 't';
    return `${source} ${TRIM} if (${MISSING}) { ${required}${target} = undefined; } else ${target} = ${fold};`;
  };
  const setVars = (vars: Vars<R>): void => {
    vars.exprs.forEach((op, i) => {
      line(read(op, 'v'));
      line(`vars[${int(vars.slots[i] as number)}] = v;`);
      line(FAIL);
    });
  };
  const substation = (id: SiteId<R>): void => {
    line(id.id === undefined ? 's = undefined;' : read(id.id, 's'));
    line(FAIL);
    line(`if (s === undefined) return h.missing(${k(id.label)});`);
    line(`c = checkSubstationId(s, ${k(id.label)}); if (c !== undefined) return c;`);
  };
  const site = (sx: SiteExprs<R>): void => {
    if (!plan.substationFirst) substation(sx.substation);
    if (sx.feeder === undefined) line("f = '';");
    else line(`${read(sx.feeder, 'f')} if (f === undefined) f = '';`);
    line(FAIL);
    if (sx.name === undefined) line("nm = '';");
    else line(`${read(sx.name, 'nm')} if (nm === undefined) nm = '';`);
    line(FAIL);
    line(sx.asset === undefined ? 'asset = undefined;' : read(sx.asset, 'asset'));
    line(FAIL);
  };
  const keyRead = (key: KeyField<R>, target: string): string =>
    key.at >= 0 ? `${target} = r[${int(key.at)}];` : `${target} = ${k(key.get)}(r);`;
  /**
   * Statements parsing `text` into `target` as the mapper's `number` does (`unitFactor`
   * is the code of the source unit's factor, `1` for wide columns), or handing the
   * rejection to `onReject`.
   */
  const number = (
    c: ValueColumn<R>,
    text: string,
    target: string,
    unit: string,
    unitFactor: string,
    bounds: string,
    onReject: (rejection: string) => string,
  ): void => {
    if (c.boolean) {
      line(`${target} = h.number(${text}, ${k(c)}, ${unit}, ${unitFactor}, ${bounds});`);
      line(`if (typeof ${target} !== 'number') { ${onReject(target)} }`);
      return;
    }
    line(`${target} = readDecimal(${text}, ${k(c.label)});`);
    line(`if (typeof ${target} !== 'number') { ${onReject(target)} } else {`);
    judge(c, target, unit, unitFactor, bounds, onReject);
    line('}');
  };
  /** Statements scaling the number in `target` and judging it against its bounds, as the mapper's `scaled` does. */
  const judge = (
    c: ValueColumn<R>,
    target: string,
    unit: string,
    unitFactor: string,
    bounds: string,
    onReject: (rejection: string) => string,
  ): void => {
    const factor = unitFactor === '1' ? (c.factor === 1 ? undefined : k(c.factor)) : `${k(c.factor)} * ${unitFactor}`;
    if (factor !== undefined)
      line(`fx = ${factor}; if (fx !== 1) { ${target} *= fx; if (${target} === 0) ${target} = 0; }`);
    // within bounds, finite: no verdict needed (judgeBounds inlined here formatted the value as text for
    // its messages on every call, V8 moving the conversion out of the branch that needs it)
    line(
      `if (${bounds} === undefined || !(Math.abs(${target}) <= ${bounds}.maxAbs) || Math.abs(${target}) === Infinity) {`,
    );
    line(`rj = h.outOfBounds(${k(c.label)}, ${unit}, ${target}, ${bounds});`);
    line(`if (rj !== undefined) { ${onReject('rj')} }`);
    line('}');
  };

  line('return function map(r, emit, rejectReading) {');
  line('let raw, t, n, c0, c1, v, p, acc, c, s, f, nm, asset, shift, bi = -1, tested = -1, fx, rj, tx, tr, ts, where;');
  line('ctx.fail = undefined;');
  setVars(plan.vars);
  if (plan.substationFirst) substation(plan.baseId);

  // branches: the first whose test holds (or that has none); then its rejection, variables and rules
  if (plan.branches.length > 0) {
    line('br: {');
    for (const [i, b] of plan.branches.entries()) {
      if (b.field === undefined) {
        line(`bi = ${int(i)}; break br;`);
        break;
      }
      line(`${read(b.field, 'v')} if (v === undefined) v = '';`);
      line(`tested = ${int(i)};`);
      const tests: string[] = [];
      if (b.only !== undefined) tests.push(`v === ${k(b.only)}`);
      if (b.equals !== undefined) tests.push(`${k(b.equals)}.has(v)`);
      if (b.matches !== undefined) tests.push(`${k(b.matches)}.test(v)`);
      line(`if (${tests.length === 0 ? 'true' : tests.join(' && ')}) { bi = ${int(i)}; break br; }`);
      line(FAIL);
    }
    line('}');
  }
  line('switch (bi) {');
  for (const [i, b] of plan.branches.entries()) {
    line(`case ${int(i)}: {`);
    if (!b.plain) {
      if (b.reject !== undefined) line(`return h.branchRejection(${int(i)}, r, tested);`);
      else {
        setVars(b.vars);
        for (const rule of b.require) {
          line(read(rule.field, 'v'));
          line(FAIL);
          line(`if (v === undefined) return h.ruleRejection(${k(rule)}, v);`);
        }
        for (const rule of b.forbid) {
          line(read(rule.field, 'v'));
          line(FAIL);
          line(`if (v !== undefined) return h.ruleRejection(${k(rule)}, v);`);
        }
      }
    }
    if (b.reject === undefined || b.plain) {
      site(plan.branchSites[i] as SiteExprs<R>);
      line(`shift = ${k(b.shiftMs ?? plan.shiftMs)};`);
      line('break;');
    }
    line('}');
  }
  line('default: {');
  site(plan.baseSite);
  line(`shift = ${k(plan.shiftMs)};`);
  line('}');
  line('}');

  const timestamp = (): void => {
    line(read(plan.ts, 'tx'));
    line(FAIL);
    line(`if (tx === undefined) return h.missing(${k(plan.tsLabel)});`);
    if (plan.times === undefined) line("ts = h.timestamp(tx, shift); if (typeof ts !== 'string') return ts;");
    else {
      line(`tr = ${k(plan.times)}.read(tx); if (!tr.ok) return h.badTimestamp(tr.message);`);
      line('ts = shift === 0 ? tr.ts : h.shifted(tx, tr.ms, shift);');
    }
  };
  const reference = (): void => {
    if (plan.withReference) line('c = h.referenceOf(r, where); if (c !== undefined) return c;');
  };

  const long = plan.long;
  if (long !== undefined) {
    line('let e, me, bounds, factor = 1, x;');
    if (long.measureKey !== undefined) {
      line(keyRead(long.measureKey, 'v'));
      line('e = measureCache.get(v); if (e === undefined) e = h.measureEntry(r, v);');
      line("me = e.measure; if ('reason' in me) return me;");
      line('bounds = e.bounds;');
      if (long.sourceUnit) {
        if (long.unitKey === undefined) line('factor = h.unitFactor(r, me);');
        else {
          line(keyRead(long.unitKey, 'v'));
          line('factor = e.unitSeen && v === e.unitText ? e.unitResult : h.unitMemo(r, e, v);');
        }
        line("if (typeof factor !== 'number') return factor;");
      }
    } else {
      line("me = h.measure(r); if ('reason' in me) return me;");
      line('bounds = h.boundsOf(me.unit);');
      if (long.sourceUnit) line("factor = h.unitFactor(r, me); if (typeof factor !== 'number') return factor;");
    }
    timestamp();
    line(read(long.value.text, 'v'));
    line(FAIL);
    line(`if (v === undefined) return h.missing(${k(long.value.label)});`);
    number(long.value, 'v', 'x', 'me.unit', 'factor', 'bounds', (rej) => `return ${rej};`);
    line('where = sites.get(s, nm, f, asset);');
    reference();
    line('emit(where, me, x, ts);');
    line('return undefined;');
  } else {
    timestamp();
    // wide: check every column before emitting any, so a row goes whole or not at all
    const onReject = (rej: string): string =>
      plan.rejectReading
        ? `if (rejectReading === undefined) return ${rej}; rejectReading(${rej}); XN = NaN;`
        : `return ${rej};`;
    for (const [i, c] of plan.columns.entries()) {
      const x = `x${int(i)}`;
      line(`let ${x};`);
      const reject = (rej: string): string => onReject(rej).replace('XN', x);
      if (c.numeric !== undefined) {
        // JSON: a number is read as it is (String(n) parses back to n, -0 to 0), else its text as CSV's
        line(`raw = ${k(c.numeric)}(r);`);
        line(`if (typeof raw === 'number') { if (${k(plan.missingNumbers)}.has(raw)) ${x} = NaN; else {`);
        line(`${x} = raw === 0 ? 0 : raw;`);
        judge(c, x, k(c.measure.unit), '1', k(c.bounds), reject);
        line('} } else {');
      } else line(c.at >= 0 ? `raw = r[${int(c.at)}];` : `raw = ${k(c.get)}(r);`);
      line(TRIM);
      line(`if (${MISSING}) ${x} = NaN; else {`);
      number(c, 't', x, k(c.measure.unit), '1', k(c.bounds), reject);
      line('}');
      if (c.numeric !== undefined) line('}');
    }
    line('where = sites.get(s, nm, f, asset);');
    reference();
    for (const [i, c] of plan.columns.entries()) {
      const x = `x${int(i)}`;
      line(`if (${x} === ${x}) emit(where, ${k(c.measure)}, ${x}, ts);`);
    }
    line('return undefined;');
  }
  line('};');
  const head = ["'use strict';", 'const vars = ctx.vars;'];
  for (let i = 0; i < constants.length; i++) head.push(`const K${int(i)} = k[${int(i)}];`);
  return { body: [...head, ...out].join('\n'), constants };
}
