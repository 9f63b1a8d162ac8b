/**
 * A mapping compiled for one layout instance (one CSV header, one JSON document): the
 * `map` function the streaming core calls per record. Steps, in order — the order the
 * built-in layouts' rules have always been checked in: variables, the row's branch
 * (its variables, required/forbidden fields, rejection), the site, the measure (long),
 * the timestamp, then the value(s). A record is accepted or rejected whole unless the
 * mapping says `reject: reading`.
 *
 * The steps are compiled into closures (expr.ts) and, from them, into one generated
 * row function for this mapping and layout (row-code.ts): that is `map`. The closures'
 * own walk through the steps (`mapByClosures`) is the fallback where code cannot be
 * generated, and the reference the tests hold the generated functions to.
 */
import { signalReadings } from './signals.ts';
import { judgeBounds, type UnitBounds } from '../../../shared/bounds.ts';
import { canonicalTs, PHASES, type Phase } from '../../../shared/event.ts';
import type { Branch, Expr, Mapping, SiteSpec } from '../../../shared/sources/mapping.ts';
import type { UnitRegistry } from '../../../shared/units.ts';
import {
  checkSubstationId,
  clip,
  measureOf,
  readDecimal,
  SiteCache,
  type EmitReading,
  type Measure,
  type Rejection,
  type Site,
} from '../rows.ts';
import { TimestampReader } from '../timestamps.ts';
import {
  rowFunction,
  type CompiledBranch,
  type CompiledRule,
  type KeyField,
  type MeasureEntry,
  type RejectReading,
  type RowFunction,
  type RowHelpers,
  type SiteExprs,
  type SiteId,
  type ValueColumn,
  type Vars,
  type WideColumn,
} from './row-code.ts';
import type { Getter, RecordAccessor } from './accessor.ts';
import {
  compileExpr,
  fillMessage,
  givesNormalised,
  infoOf,
  labelOf,
  lowerCase,
  missingToken,
  operandOf,
  readOperand,
  tokenFirsts,
  trimText,
  upperCase,
  type Operand,
  type Compiled,
  type CompiledLookup,
  type RowContext,
  type Scope,
} from './expr.ts';
import type { Problems } from './problems.ts';

/** Rejections of single readings, when the mapping rejects readings rather than rows. */
export type { RejectReading } from './row-code.ts';

export interface MapperSettings {
  readonly units: UnitRegistry;
  readonly lookups: ReadonlyMap<string, CompiledLookup>;
  readonly sourceTimeZone: string;
  readonly problems: Problems;
  /** Set by the registry loader only: each accepted record's site with its `reference` attributes. */
  readonly onReference?: OnReference | undefined;
  /** Map with the closures alone, no generated row function (row-code.ts); the tests compare the two. */
  readonly closuresOnly?: boolean | undefined;
}

/** What a record says about its asset in the registry (the mapping's `reference` block). */
export interface ReferenceAttrs {
  readonly substation_name?: string;
  readonly latitude?: number;
  readonly longitude?: number;
}

export type OnReference = (site: Site, attrs: ReferenceAttrs) => void;

interface CompiledReference<R> {
  readonly name: Compiled<R> | undefined;
  readonly latitude: Compiled<R> | undefined;
  readonly longitude: Compiled<R> | undefined;
  readonly latitudeLabel: string;
  readonly longitudeLabel: string;
}

interface CompiledSite<R> {
  substationId?: Compiled<R> | undefined;
  substationLabel?: string | undefined;
  name?: Compiled<R> | undefined;
  feeder?: Compiled<R> | undefined;
  asset?: Compiled<R> | undefined;
}

const PERIOD = /^([1-9][0-9]*)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function periodMs(period: string | undefined): number | undefined {
  const m = period === undefined ? null : PERIOD.exec(period);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

/** A branch as the mapper builds it: with its own site expressions (resolved into `branchSites`). */
interface MapperBranch<R> extends CompiledBranch<R> {
  readonly site: CompiledSite<R>;
}

export class MappingMapper<R> {
  readonly format: string;
  /**
   * Emits the record's readings and returns undefined, or returns why it is rejected: the
   * generated row function of this mapping and layout (row-code.ts), else `mapByClosures`.
   */
  readonly map: RowFunction<R>;
  private readonly sites = new SiteCache();
  private readonly ctx: RowContext;
  private readonly vars: Vars<R> = { slots: [], exprs: [] };
  private readonly branches: MapperBranch<R>[] = [];
  /** The site's expressions with no branch taken, and with each branch taken (by index). */
  private readonly baseSite: SiteExprs<R>;
  private readonly baseId: SiteId<R>;
  private readonly branchSites: SiteExprs<R>[] = [];
  private readonly site: Required<CompiledSite<R>>;
  private readonly times: TimestampReader;
  private readonly ts: Operand<R>;
  private readonly tsLabel: string;
  private readonly tsFormat: 'auto' | 'epoch_s' | 'epoch_ms';
  private readonly tsAuto: boolean;
  private readonly shiftMs: number;
  private readonly shifted = new Map<string, string>();
  private readonly rejectReading: boolean;
  // long
  private readonly measurement: Compiled<R> | undefined;
  private readonly phase: Compiled<R> | undefined;
  private readonly unit: Compiled<R> | undefined;
  private readonly sourceUnit: Compiled<R> | undefined;
  private readonly sourceUnitLabel: string = '';
  private readonly unitOptionalFor: ReadonlySet<string> = new Set();
  private readonly value: ValueColumn<R> | undefined;
  /** measurement → phase → unit → the measure (or why there is none). */
  private readonly measures = new Map<string, Map<string, Map<string, Measure | Rejection>>>();
  /**
   * When measurement, phase and unit are read from one field alone (lookups keyed by an LV
   * file's Description): that field's getter, and the measures by its text — one Map
   * read a row instead of a lookup per expression and the nested maps.
   */
  private readonly measureKey: KeyField<R> | undefined;
  private readonly measureCache = new Map<string | undefined, MeasureEntry>();
  /** When the source unit is read from one field alone: its getter (a measure entry keeps the last text's factor). */
  private readonly unitKey: KeyField<R> | undefined;
  /** The measure's unit → the stated unit's text → the factor between them (or why there is none). */
  private readonly factors = new Map<string, Map<string, number | Rejection>>();
  // wide
  private readonly columns: WideColumn<R>[] = [];
  private readonly values: number[] = [];
  private readonly missing: ReadonlySet<string>;
  /** The missing texts that are a number's own text (`-999`): a JSON number reads as missing exactly when its text would. */
  private readonly missingNumbers: ReadonlySet<number>;
  /** Whether a non-empty text is a `missing` token (`missingToken`); undefined when only the empty text is. */
  private readonly token: ((text: string) => boolean) | undefined;
  /** The substation id depends on no branch: it is read (and checked) before the branches, as soon as it is known. */
  private readonly substationFirst: boolean;
  /** Compiled whenever the mapping has a `reference` block (so the compile check covers it), run only with `onReference`. */
  private readonly reference: CompiledReference<R> | undefined;

  constructor(
    mapping: Mapping,
    private readonly accessor: RecordAccessor<R>,
    private readonly settings: MapperSettings,
  ) {
    this.format = mapping.name;
    this.missing = new Set((mapping.missing ?? ['']).map((t) => t.trim().toLowerCase()));
    // a missing token that is a number's own text reads a JSON number as missing too
    const numbers = [...this.missing].filter((t) => this.missing.size > 1 && String(Number(t)) === t);
    this.missingNumbers = new Set(numbers.map(Number));
    this.token = missingToken(this.missing);
    const slots = new Map<string, number>();
    const scope: Scope<R> = {
      accessor,
      vars: slots,
      lookups: settings.lookups,
      missing: this.missing,
      token: this.token,
      problems: settings.problems,
      normalisedVars: normalisedVars(mapping, this.missing),
      getters: new Map(),
    };
    const problems = settings.problems;
    const defineVars = (vars: Readonly<Record<string, Expr>> | undefined, path: string, into: Vars<R>) => {
      for (const [name, expr] of Object.entries(vars ?? {})) {
        const compiled = compileExpr(expr, scope, `${path}.${name}`);
        let slot = slots.get(name);
        if (slot === undefined) {
          slot = slots.size;
          slots.set(name, slot);
        }
        into.slots.push(slot);
        into.exprs.push(operandOf(compiled));
      }
    };
    defineVars(mapping.vars, 'vars', this.vars);
    // branch variables may be used by the site: define every branch's names before compiling any site
    (mapping.branches ?? []).forEach((b, i) => {
      for (const name of Object.keys(b.vars ?? {})) if (!slots.has(name)) slots.set(name, slots.size);
      void i;
    });
    const basePeriod = periodMs(mapping.timestamp.period);
    this.shiftMs = shiftOf(mapping.timestamp.label, basePeriod, 'timestamp', problems);
    (mapping.branches ?? []).forEach((b, i) => {
      this.branches.push(this.compileBranch(b, `branches[${i}]`, scope, defineVars, basePeriod));
      if (b.if === undefined && i < (mapping.branches?.length ?? 0) - 1)
        problems.add(
          `branches[${i}]`,
          'has no `if` but is not the last branch, so the branches after it never apply',
          'the branch without `if` last',
        );
    });
    this.site = this.compileSite(mapping.site, 'site', scope) as Required<CompiledSite<R>>;
    const base = this.site;
    const op = (e: Compiled<R> | undefined) => (e === undefined ? undefined : operandOf(e));
    const id = (site: CompiledSite<R>): SiteId<R> => ({
      id: op(site.substationId),
      label: site.substationLabel ?? 'substation_id',
    });
    this.baseId = id(base);
    this.baseSite = { substation: this.baseId, feeder: op(base.feeder), name: op(base.name), asset: op(base.asset) };
    for (const b of this.branches)
      this.branchSites.push({
        substation: b.site.substationId ? id(b.site) : this.baseId,
        feeder: op(b.site.feeder ?? base.feeder),
        name: op(b.site.name ?? base.name),
        asset: op(b.site.asset ?? base.asset),
      });
    this.substationFirst = (mapping.branches ?? []).every(
      (b) => b.vars === undefined && b.site?.substation_id === undefined,
    );
    this.ts = operandOf(compileExpr(mapping.timestamp.from, scope, 'timestamp.from'));
    this.tsLabel = labelOf(mapping.timestamp.from, accessor as RecordAccessor<unknown>);
    this.tsFormat = mapping.timestamp.format ?? 'auto';
    this.tsAuto = this.tsFormat === 'auto';
    const zone = mapping.timestamp.zone ?? 'UTC';
    this.times = new TimestampReader(zone === 'source' ? settings.sourceTimeZone : zone);
    this.rejectReading = mapping.reject === 'reading';
    this.ctx = { vars: new Array<string | undefined>(slots.size).fill(undefined), fail: undefined };
    const ref = mapping.reference;
    const label = (e: Expr | undefined, fallback: string): string =>
      e === undefined ? fallback : labelOf(e, accessor as RecordAccessor<unknown>);
    const optional = (e: Expr | undefined, path: string): Compiled<R> | undefined =>
      e === undefined ? undefined : compileExpr(e, scope, path);
    this.reference = ref && {
      name: optional(ref.substation_name, 'reference.substation_name'),
      latitude: optional(ref.latitude, 'reference.latitude'),
      longitude: optional(ref.longitude, 'reference.longitude'),
      latitudeLabel: label(ref.latitude, 'latitude'),
      longitudeLabel: label(ref.longitude, 'longitude'),
    };

    if (mapping.reading) {
      const r = mapping.reading;
      this.measurement = compileExpr(r.measurement, scope, 'reading.measurement');
      this.phase = r.phase === undefined ? undefined : compileExpr(r.phase, scope, 'reading.phase');
      this.unit = compileExpr(r.unit, scope, 'reading.unit');
      if (r.source_unit) {
        this.sourceUnit = compileExpr(r.source_unit.from, scope, 'reading.source_unit.from');
        this.sourceUnitLabel = labelOf(r.source_unit.from, accessor as RecordAccessor<unknown>);
        this.unitOptionalFor = new Set(r.source_unit.optional_for ?? []);
      }
      this.value = {
        text: operandOf(compileExpr(r.value.from, scope, 'reading.value.from')),
        label: labelOf(r.value.from, accessor as RecordAccessor<unknown>),
        measure: measureOf('value', null, 'count'),
        factor: r.value.scale ?? 1,
        boolean: r.value.boolean ?? false,
      };
      this.measureKey = oneSource([this.measurement, this.phase, this.unit]);
      this.unitKey = this.sourceUnit === undefined ? undefined : oneSource([this.sourceUnit]);
    } else {
      this.measurement = this.phase = this.unit = this.sourceUnit = this.value = undefined;
      this.measureKey = this.unitKey = undefined;
      const position = (name: string): number => accessor.position?.(name) ?? 0;
      // a signals block is wide readings over `[name=…]` paths (signals.ts)
      const wide = mapping.readings ?? (mapping.signals ? signalReadings(mapping.signals) : []);
      const ordered = [...wide.entries()].sort(([, a], [, b]) => position(a.from) - position(b.from));
      for (const [, w] of ordered) {
        const get = accessor.field(w.from);
        if (get === undefined) continue; // an optional measure column this header lacks
        // an unknown unit is the static check's (compile.ts checkStatic), named by readings[i] or signals.signals.NAME
        const measurement = w.measurement ?? w.from.trim().toLowerCase();
        this.columns.push({
          text: operandOf(get),
          get,
          numeric: accessor.numeric?.(w.from),
          at: accessor.index?.(w.from) ?? -1,
          label: accessor.label(w.from),
          measure: measureOf(measurement, w.phase ?? null, w.unit),
          factor: w.scale ?? 1,
          boolean: w.boolean ?? false,
          bounds: settings.units.boundsOf(w.unit),
        });
      }
    }
    const closures: RowFunction<R> = (record, emit, rejectReading) => this.mapByClosures(record, emit, rejectReading);
    this.map = (settings.closuresOnly === true ? undefined : this.rowFunction()) ?? closures;
  }

  /** The generated row function of this mapper's steps (row-code.ts), or undefined where code cannot be made. */
  private rowFunction(): RowFunction<R> | undefined {
    const value = this.value;
    return rowFunction<R>(
      {
        ctx: this.ctx,
        token: this.token,
        tokenFirsts: this.token === undefined ? undefined : tokenFirsts(this.missing),
        vars: this.vars,
        substationFirst: this.substationFirst,
        baseId: this.baseId,
        branches: this.branches,
        baseSite: this.baseSite,
        branchSites: this.branchSites,
        shiftMs: this.shiftMs,
        ts: this.ts,
        tsLabel: this.tsLabel,
        times: this.tsAuto ? this.times : undefined,
        long:
          value === undefined
            ? undefined
            : {
                value,
                measureKey: this.measureKey,
                measureCache: this.measureCache,
                sourceUnit: this.sourceUnit !== undefined,
                unitKey: this.unitKey,
              },
        columns: this.columns,
        missingNumbers: this.missingNumbers,
        rejectReading: this.rejectReading,
        withReference: this.settings.onReference !== undefined && this.reference !== undefined,
        sites: this.sites,
        helpers: this.helpers(),
      },
      { lowerCase, upperCase, readDecimal, checkSubstationId },
    );
  }

  private compileBranch(
    b: Branch,
    path: string,
    scope: Scope<R>,
    defineVars: (vars: Branch['vars'], path: string, into: Vars<R>) => void,
    basePeriod: number | undefined,
  ): MapperBranch<R> {
    let field: Compiled<R> | undefined;
    let equals: Set<string> | undefined;
    let re: RegExp | undefined;
    if (b.if) {
      field = compileExpr(b.if.field, scope, `${path}.if.field`);
      equals = b.if.equals === undefined ? undefined : new Set(b.if.equals);
      if (b.if.matches !== undefined) {
        try {
          re = new RegExp(b.if.matches);
        } catch (err) {
          scope.problems.add(
            `${path}.if.matches`,
            `is not a regular expression: ${(err as Error).message}`,
            'a JavaScript regex',
          );
        }
      }
      if (equals === undefined && b.if.matches === undefined)
        scope.problems.add(`${path}.if`, 'tests nothing', 'equals or matches');
    }
    const only = equals?.size === 1 && re === undefined ? ([...equals][0] as string) : undefined;
    const vars: Vars<R> = { slots: [], exprs: [] };
    defineVars(b.vars, `${path}.vars`, vars);
    const rules = (list: Branch['require'], kind: 'require' | 'forbid'): CompiledRule<R>[] =>
      (list ?? []).map((x, i) => ({
        field: operandOf(compileExpr(x.field, scope, `${path}.${kind}[${i}].field`)),
        reason: x.reason ?? (kind === 'require' ? 'missing_field' : 'invalid_field'),
        message: x.message,
      }));
    const label = b.timestamp?.label;
    const period = b.timestamp?.period === undefined ? basePeriod : periodMs(b.timestamp.period);
    return {
      field: field === undefined ? undefined : operandOf(field),
      only,
      equals: only === undefined ? equals : undefined,
      matches: re,
      plain:
        b.reject === undefined && vars.slots.length === 0 && (b.require ?? []).length + (b.forbid ?? []).length === 0,
      vars,
      site: b.site ? this.compileSite(b.site, `${path}.site`, scope) : {},
      require: rules(b.require, 'require'),
      forbid: rules(b.forbid, 'forbid'),
      reject: b.reject,
      shiftMs: label === undefined ? undefined : shiftOf(label, period, `${path}.timestamp`, scope.problems),
    };
  }

  private compileSite(s: Partial<SiteSpec>, path: string, scope: Scope<R>): CompiledSite<R> {
    const out: CompiledSite<R> = {};
    if (s.substation_id !== undefined) {
      out.substationId = compileExpr(s.substation_id, scope, `${path}.substation_id`);
      out.substationLabel = labelOf(s.substation_id, scope.accessor as RecordAccessor<unknown>);
    }
    if (s.substation_name !== undefined) out.name = compileExpr(s.substation_name, scope, `${path}.substation_name`);
    if (s.feeder_id !== undefined) out.feeder = compileExpr(s.feeder_id, scope, `${path}.feeder_id`);
    if (s.asset_id !== undefined) out.asset = compileExpr(s.asset_id, scope, `${path}.asset_id`);
    return out;
  }

  /** The mapper's steps through its closures: what the generated row function does, step for step. */
  mapByClosures(record: R, emit: EmitReading, rejectReading?: RejectReading): Rejection | undefined {
    const ctx = this.ctx;
    ctx.fail = undefined;
    const fail = this.setVars(this.vars, record);
    if (fail) return fail;
    let substation: string | undefined;
    if (this.substationFirst) {
      const early = this.substation(record, this.baseId);
      if (typeof early !== 'string') return early;
      substation = early;
    }
    let branch: CompiledBranch<R> | undefined;
    let site = this.baseSite;
    // the branch whose test ran last: its field's text is a rejecting branch's {value}
    let tested: CompiledBranch<R> | undefined;
    const branches = this.branches;
    for (let i = 0; i < branches.length; i++) {
      const b = branches[i] as CompiledBranch<R>;
      const field = b.field;
      if (field === undefined) {
        branch = b;
        site = this.branchSites[i] as SiteExprs<R>;
        break;
      }
      tested = b;
      const v = readOperand(field, record, ctx, this.token) ?? '';
      if (
        b.only !== undefined
          ? v === b.only
          : (b.equals === undefined || b.equals.has(v)) && (b.matches === undefined || b.matches.test(v))
      ) {
        branch = b;
        site = this.branchSites[i] as SiteExprs<R>;
        break;
      }
      if (ctx.fail) return ctx.fail;
    }
    if (branch !== undefined && !branch.plain) {
      const refused = this.takeBranch(branch, record, tested);
      if (refused) return refused;
    }
    if (substation === undefined) {
      const late = this.substation(record, site.substation);
      if (typeof late !== 'string') return late;
      substation = late;
    }
    const token = this.token;
    const feederExpr = site.feeder;
    const feeder = feederExpr === undefined ? '' : (readOperand(feederExpr, record, ctx, token) ?? '');
    if (ctx.fail) return ctx.fail;
    const nameExpr = site.name;
    const name = nameExpr === undefined ? '' : (readOperand(nameExpr, record, ctx, token) ?? '');
    if (ctx.fail) return ctx.fail;
    const assetExpr = site.asset;
    const asset = assetExpr === undefined ? undefined : readOperand(assetExpr, record, ctx, token);
    if (ctx.fail) return ctx.fail;

    if (this.measurement !== undefined) {
      return this.mapLong(record, emit, branch, substation, name, feeder, asset);
    }

    const ts = this.readTs(record, branch);
    if (typeof ts !== 'string') return ts;

    // wide: check every column before emitting any, so a row goes whole or not at all
    const values = this.values;
    const columns = this.columns;
    values.length = 0;
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i] as WideColumn<R>;
      const raw = c.numeric === undefined ? c.get(record) : c.numeric(record);
      let value: number | Rejection;
      if (typeof raw === 'number') {
        // a JSON number: what its text would read as (String(n) parses back to n, -0 to 0)
        if (this.missingNumbers.has(raw)) {
          values.push(NaN);
          continue;
        }
        value = this.scaled(raw === 0 ? 0 : raw, c, c.measure.unit, 1, c.bounds);
      } else {
        const text = raw === undefined ? '' : trimText(raw);
        if (text === '' || (token !== undefined && token(text))) {
          values.push(NaN);
          continue;
        }
        value = this.number(text, c, c.measure.unit, 1, c.bounds);
      }
      if (typeof value !== 'number') {
        if (!this.rejectReading || rejectReading === undefined) return value;
        rejectReading(value);
        values.push(NaN);
        continue;
      }
      values.push(value);
    }
    const where = this.sites.get(substation, name, feeder, asset);
    const refused = this.referenceOf(record, where);
    if (refused) return refused;
    for (let i = 0; i < columns.length; i++) {
      const value = values[i] as number;
      if (!Number.isNaN(value)) emit(where, (columns[i] as WideColumn<R>).measure, value, ts);
    }
    return undefined;
  }

  /** Sets variables in order; the first rule one breaks, if any. */
  private setVars(vars: Vars<R>, record: R): Rejection | undefined {
    const ctx = this.ctx;
    const { slots, exprs } = vars;
    for (let i = 0; i < slots.length; i++) {
      ctx.vars[slots[i] as number] = readOperand(exprs[i] as Operand<R>, record, ctx, this.token);
      if (ctx.fail) return ctx.fail;
    }
    return undefined;
  }

  /** The branch a row took: its rejection, variables, then required and forbidden fields. */
  private takeBranch(
    branch: CompiledBranch<R>,
    record: R,
    tested: CompiledBranch<R> | undefined,
  ): Rejection | undefined {
    const ctx = this.ctx;
    if (branch.reject) {
      // the text the last test read, read again (the same text: no variable has changed since)
      const field = tested?.field;
      const value = field === undefined ? undefined : (readOperand(field, record, ctx, this.token) ?? '');
      return { reason: branch.reject.reason, message: fillMessage(branch.reject.message, value) };
    }
    const fail = this.setVars(branch.vars, record);
    if (fail) return fail;
    const require = branch.require;
    for (let i = 0; i < require.length; i++) {
      const rule = require[i] as CompiledRule<R>;
      const v = readOperand(rule.field, record, ctx, this.token);
      if (ctx.fail) return ctx.fail;
      if (v === undefined) return { reason: rule.reason, message: fillMessage(rule.message, v) };
    }
    const forbid = branch.forbid;
    for (let i = 0; i < forbid.length; i++) {
      const rule = forbid[i] as CompiledRule<R>;
      const v = readOperand(rule.field, record, ctx, this.token);
      if (ctx.fail) return ctx.fail;
      if (v !== undefined) return { reason: rule.reason, message: fillMessage(rule.message, v) };
    }
    return undefined;
  }

  /** The row's timestamp, canonical and shifted to its period's start, or why there is none. */
  private readTs(record: R, branch: CompiledBranch<R> | undefined): string | Rejection {
    const ctx = this.ctx;
    const tsText = readOperand(this.ts, record, ctx, this.token);
    if (ctx.fail) return ctx.fail;
    if (tsText === undefined) return { reason: 'missing_field', message: `${this.tsLabel} is empty` };
    return this.timestamp(tsText, branch?.shiftMs ?? this.shiftMs);
  }

  /** A long row: its measure (and the source unit's factor), timestamp, then its one value. */
  private mapLong(
    record: R,
    emit: EmitReading,
    branch: CompiledBranch<R> | undefined,
    substation: string,
    name: string,
    feeder: string,
    asset: string | undefined,
  ): Rejection | undefined {
    const ctx = this.ctx;
    let measure: Measure;
    let bounds: UnitBounds | undefined;
    let factor = 1;
    const key = this.measureKey;
    if (key !== undefined) {
      const text = key.get(record);
      const entry = this.measureCache.get(text) ?? this.measureEntry(record, text);
      const m = entry.measure;
      if ('reason' in m) return m;
      measure = m;
      bounds = entry.bounds;
      if (this.sourceUnit !== undefined) {
        let f: number | Rejection;
        const unitKey = this.unitKey;
        if (unitKey === undefined) f = this.unitFactor(record, measure);
        else {
          const unitText = unitKey.get(record);
          f = entry.unitSeen && unitText === entry.unitText ? entry.unitResult : this.unitMemo(record, entry, unitText);
        }
        if (typeof f !== 'number') return f;
        factor = f;
      }
    } else {
      const m = this.measure(record);
      if ('reason' in m) return m;
      measure = m;
      bounds = this.boundsOf(measure.unit);
      if (this.sourceUnit !== undefined) {
        const f = this.unitFactor(record, measure);
        if (typeof f !== 'number') return f;
        factor = f;
      }
    }

    const ts = this.readTs(record, branch);
    if (typeof ts !== 'string') return ts;

    const v = this.value as ValueColumn<R>;
    const text = readOperand(v.text, record, ctx, this.token);
    if (ctx.fail) return ctx.fail;
    if (text === undefined) return { reason: 'missing_field', message: `${v.label} is empty` };
    const value = this.number(text, v, measure.unit, factor, bounds);
    if (typeof value !== 'number') return value;
    const where = this.sites.get(substation, name, feeder, asset);
    const refused = this.referenceOf(record, where);
    if (refused) return refused;
    emit(where, measure, value, ts);
    return undefined;
  }

  /** The measure entry for a key text not cached yet: computed and cached. */
  private measureEntry(record: R, text: string | undefined): MeasureEntry {
    const m = this.measure(record);
    const entry: MeasureEntry = {
      measure: m,
      bounds: 'reason' in m ? undefined : this.boundsOf(m.unit),
      unitSeen: false,
      unitText: undefined,
      unitResult: 1,
    };
    if (this.measureCache.size >= 4096) this.measureCache.clear();
    this.measureCache.set(text, entry);
    return entry;
  }

  /** The source unit's factor for a text the entry did not see last: computed, and kept on the entry. */
  private unitMemo(record: R, entry: MeasureEntry, text: string | undefined): number | Rejection {
    const f = this.unitFactor(record, entry.measure as Measure);
    entry.unitSeen = true;
    entry.unitText = text;
    entry.unitResult = f;
    return f;
  }

  /** What the generated row function calls for everything but the common path. */
  private helpers(): RowHelpers<R> {
    return {
      measureEntry: (record, key) => this.measureEntry(record, key),
      unitMemo: (record, entry, text) => this.unitMemo(record, entry, text),
      measure: (record) => this.measure(record),
      unitFactor: (record, measure) => this.unitFactor(record, measure),
      boundsOf: (unit) => this.boundsOf(unit),
      timestamp: (text, shiftMs) => this.timestamp(text, shiftMs),
      shifted: (text, ms, shiftMs) => this.shiftedTs(text, ms, shiftMs),
      badTimestamp: (message) => ({ reason: 'bad_timestamp', message: `${this.tsLabel} ${message}` }),
      number: (text, c, unit, factor, bounds) => this.number(text, c, unit, factor, bounds),
      referenceOf: (record, site) => this.referenceOf(record, site),
      branchRejection: (branch, record, tested) =>
        this.takeBranch(
          this.branches[branch] as MapperBranch<R>,
          record,
          tested < 0 ? undefined : this.branches[tested],
        ) as Rejection,
      ruleRejection: (rule, value) => ({ reason: rule.reason, message: fillMessage(rule.message, value) }),
      outOfBounds: (label, unit, value, bounds) => {
        const verdict = judgeBounds(unit, value, bounds);
        return verdict.ok ? undefined : { reason: 'out_of_bounds', message: `${label} ${verdict.reason}` };
      },
      missing: (label) => ({ reason: 'missing_field', message: `${label} is empty` }),
    };
  }

  /**
   * With `onReference` (the registry loader), the record's reference attributes for its
   * site, or why the record is refused; otherwise nothing (the splitter pays one check).
   */
  private referenceOf(record: R, site: Site): Rejection | undefined {
    const on = this.settings.onReference;
    const ref = this.reference;
    if (on === undefined || ref === undefined) return undefined;
    const ctx = this.ctx;
    const name = ref.name?.(record, ctx);
    if (ctx.fail) return ctx.fail;
    const latitude = coordinate(ref.latitude?.(record, ctx), ref.latitudeLabel, 90);
    if (ctx.fail) return ctx.fail;
    if (typeof latitude === 'object') return latitude;
    const longitude = coordinate(ref.longitude?.(record, ctx), ref.longitudeLabel, 180);
    if (ctx.fail) return ctx.fail;
    if (typeof longitude === 'object') return longitude;
    on(site, {
      ...(name !== undefined ? { substation_name: name } : {}),
      ...(latitude !== undefined ? { latitude } : {}),
      ...(longitude !== undefined ? { longitude } : {}),
    });
    return undefined;
  }

  /** The substation id by `site`'s expression, checked (present, within the partition key limit). */
  private substation(record: R, site: SiteId<R>): string | Rejection {
    const ctx = this.ctx;
    const substation = site.id === undefined ? undefined : readOperand(site.id, record, ctx, this.token);
    if (ctx.fail) return ctx.fail;
    const label = site.label;
    if (substation === undefined) return { reason: 'missing_field', message: `${label} is empty` };
    return checkSubstationId(substation, label) ?? substation;
  }

  private measure(record: R): Measure | Rejection {
    const ctx = this.ctx;
    const measurement = (this.measurement as Compiled<R>)(record, ctx);
    if (ctx.fail) return ctx.fail;
    const phase = this.phase === undefined ? undefined : this.phase(record, ctx);
    if (ctx.fail) return ctx.fail;
    const unit = (this.unit as Compiled<R>)(record, ctx);
    if (ctx.fail) return ctx.fail;
    // nested maps, not a joined key: lookup results are the table's own strings, whose hashes
    // V8 keeps, so no key string is built and hashed per record
    let byPhase = this.measures.get(measurement ?? '');
    if (byPhase === undefined) {
      if (this.measures.size > 4096) this.measures.clear();
      this.measures.set(measurement ?? '', (byPhase = new Map()));
    }
    let byUnit = byPhase.get(phase ?? '');
    if (byUnit === undefined) byPhase.set(phase ?? '', (byUnit = new Map()));
    let m = byUnit.get(unit ?? '');
    if (m === undefined) {
      m = this.makeMeasure(measurement, phase, unit);
      if (byUnit.size > 4096) byUnit.clear();
      byUnit.set(unit ?? '', m);
    }
    return m;
  }

  private makeMeasure(
    measurement: string | undefined,
    phase: string | undefined,
    unit: string | undefined,
  ): Measure | Rejection {
    if (measurement === undefined) return { reason: 'missing_field', message: 'the measurement is empty' };
    if (!/^[a-z][a-z0-9_]*$/.test(measurement))
      return {
        reason: 'invalid_field',
        message: `measurement ${JSON.stringify(clip(measurement))} is not a lower-case slug`,
      };
    if (phase !== undefined && !(PHASES as readonly string[]).includes(phase))
      return {
        reason: 'invalid_field',
        message: `phase ${JSON.stringify(clip(phase))} is none of ${PHASES.join(', ')}`,
      };
    if (unit === undefined) return { reason: 'missing_field', message: `the unit of ${measurement} is empty` };
    if (!this.settings.units.has(unit))
      return { reason: 'unknown_unit', message: `unit ${JSON.stringify(clip(unit))} is not a known unit` };
    return measureOf(measurement, (phase ?? null) as Phase | null, unit);
  }

  /** The factor from the source's stated unit into the measure's, or why the row is rejected. */
  private unitFactor(record: R, measure: Measure): number | Rejection {
    const ctx = this.ctx;
    const raw = (this.sourceUnit as Compiled<R>)(record, ctx);
    if (ctx.fail) return ctx.fail;
    if (raw === undefined) {
      if (this.unitOptionalFor.has(measure.unit)) return 1;
      return { reason: 'missing_field', message: `${this.sourceUnitLabel} is empty` };
    }
    let byRaw = this.factors.get(measure.unit);
    if (byRaw === undefined) this.factors.set(measure.unit, (byRaw = new Map()));
    let f = byRaw.get(raw);
    if (f === undefined) {
      const units = this.settings.units;
      const factor = units.factorInto(raw, measure.unit);
      f =
        factor !== undefined
          ? factor
          : !units.knows(raw)
            ? {
                reason: 'unknown_unit',
                message: `${this.sourceUnitLabel} ${JSON.stringify(clip(raw))} is not a known unit`,
              }
            : {
                reason: 'unit_mismatch',
                message: `${measure.measurement} is measured in ${measure.unit}, not ${raw.trim()}`,
              };
      if (byRaw.size > 4096) byRaw.clear();
      byRaw.set(raw, f);
    }
    return f;
  }

  private timestamp(text: string, shiftMs: number): string | Rejection {
    if (!this.tsAuto) {
      const n = Number(text);
      if (!Number.isFinite(n) || text.trim() === '')
        return {
          reason: 'bad_timestamp',
          message: `${this.tsLabel} ${JSON.stringify(clip(text))} is not a number of ${this.tsFormat === 'epoch_s' ? 'seconds' : 'milliseconds'} since 1970`,
        };
      const ms = this.tsFormat === 'epoch_s' ? n * 1000 : n;
      const d = new Date(ms - shiftMs);
      if (Number.isNaN(d.getTime()))
        return { reason: 'bad_timestamp', message: `${this.tsLabel} ${JSON.stringify(clip(text))} is out of range` };
      return canonicalTs(d);
    }
    const time = this.times.read(text);
    if (!time.ok) return { reason: 'bad_timestamp', message: `${this.tsLabel} ${time.message}` };
    if (shiftMs === 0) return time.ts;
    return this.shiftedTs(text, time.ms, shiftMs);
  }

  /** A period-end label's time moved back to its period's start, cached by the label's text. */
  private shiftedTs(text: string, ms: number, shiftMs: number): string {
    let ts = this.shifted.get(text);
    if (ts === undefined) {
      ts = canonicalTs(ms - shiftMs);
      if (this.shifted.size >= 8192) this.shifted.clear();
      this.shifted.set(text, ts);
    }
    return ts;
  }

  /** The unit's bounds, looked up in the registry once per unit (a reading's hot path asks per value). */
  private boundsOf(unit: string): UnitBounds | undefined {
    if (unit === this.lastUnit) return this.lastBounds;
    let b = this.bounds.get(unit);
    if (b === undefined && !this.bounds.has(unit)) this.bounds.set(unit, (b = this.settings.units.boundsOf(unit)));
    this.lastUnit = unit;
    this.lastBounds = b;
    return b;
  }

  private readonly bounds = new Map<string, UnitBounds | undefined>();
  private lastUnit: string | undefined;
  private lastBounds: UnitBounds | undefined;

  private number(
    text: string,
    c: ValueColumn<R>,
    unit: string,
    unitFactor: number,
    unitBounds: UnitBounds | undefined,
  ): number | Rejection {
    let value: number | Rejection;
    if (c.boolean && /^(true|false)$/i.test(text)) value = text.toLowerCase() === 'true' ? 1 : 0;
    else value = readDecimal(text, c.label);
    if (typeof value !== 'number') return value;
    return this.scaled(value, c, unit, unitFactor, unitBounds);
  }

  /** A value read, scaled into the measure's unit and judged against its bounds. */
  private scaled(
    value: number,
    c: ValueColumn<R>,
    unit: string,
    unitFactor: number,
    unitBounds: UnitBounds | undefined,
  ): number | Rejection {
    const factor = c.factor * unitFactor;
    if (factor !== 1) {
      value *= factor;
      if (value === 0) value = 0; // no -0 in events
    }
    const bounds = judgeBounds(unit, value, unitBounds);
    if (!bounds.ok) return { reason: 'out_of_bounds', message: `${c.label} ${bounds.reason}` };
    return value;
  }
}

/**
 * The one getter some expressions read and nothing else (constants aside): their results
 * may be cached by its text. Undefined when they read more, or a variable.
 */
function oneSource<R>(exprs: readonly (Compiled<R> | undefined)[]): KeyField<R> | undefined {
  let source: Getter<R> | undefined;
  let at = -1;
  for (const e of exprs) {
    if (e === undefined) continue;
    const info = infoOf(e);
    if (info.constant) continue;
    if (info.pureOn === undefined || (source !== undefined && source !== info.pureOn)) return undefined;
    source = info.pureOn;
    at = info.pureAt ?? -1;
  }
  return source === undefined ? { get: () => '', at: -1 } : { get: source, at };
}

/** Variables whose every definition (the mapping's, each branch's) gives normalised text (`givesNormalised`). */
function normalisedVars(mapping: Mapping, missing: ReadonlySet<string>): Set<string> {
  const defs = new Map<string, Expr[]>();
  for (const vars of [mapping.vars, ...(mapping.branches ?? []).map((b) => b.vars)])
    for (const [name, expr] of Object.entries(vars ?? {})) defs.set(name, [...(defs.get(name) ?? []), expr]);
  const out = new Set<string>();
  for (const [name, exprs] of defs) if (exprs.every((e) => givesNormalised(e, missing))) out.add(name);
  return out;
}

/** Degrees of latitude (limit 90) or longitude (180); an absent text is no attribute. */
function coordinate(text: string | undefined, label: string, limit: number): number | undefined | Rejection {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || Math.abs(n) > limit)
    return {
      reason: 'invalid_field',
      message: `${label} ${JSON.stringify(clip(text))} is not a number of degrees within ±${limit}`,
    };
  return n;
}

function shiftOf(
  label: 'start' | 'end' | undefined,
  period: number | undefined,
  path: string,
  problems: Problems,
): number {
  if (label !== 'end') return 0;
  if (period === undefined) {
    problems.add(
      `${path}.period`,
      'is absent, but periods are labelled by their end',
      'the period length, such as 30m',
    );
    return 0;
  }
  return period;
}
