/**
 * The mapping format (docs/sources.md): one file per source layout, YAML or JSON, saying
 * how to recognise the layout and how each record becomes contract-v1 readings. The
 * JSON Schema next to this file (`mapping.schema.json`) is the same definition for
 * editors and for `loadMapping`; these types are what a validated mapping is.
 *
 * Records are read through a record accessor whatever the file: a CSV row answers a
 * column name, a JSON record answers a dotted path (`meta.site.id`, `signals[name=Odometer].value`),
 * so every field expression below works on both.
 */

/** A quarantine reason a mapping may name for its own rules (a subset of QUARANTINE_REASONS). */
export type RuleReason = 'missing_field' | 'invalid_field' | 'unit_mismatch' | 'out_of_bounds' | 'bad_timestamp';

/** Steps applied, in this order, to the text an expression produced. */
export interface Transforms {
  /** Strip surrounding white space. @default true */
  readonly trim?: boolean | undefined;
  /** Fold the case. */
  readonly case?: 'upper' | 'lower' | undefined;
  /** Characters `[start, end)` of the text; a text shorter than `end` is a rule failure (see `min_length`). */
  readonly slice?: readonly [number, number] | undefined;
  /** An empty result (after `missing` tokens) rejects the row `missing_field`; a string is the message. */
  readonly required?: boolean | string | undefined;
  /** What the field is called in messages. @default the column or path */
  readonly label?: string | undefined;
}

/** Where a field's text comes from. A bare string is a column (CSV) or a path (JSON). */
export type Expr =
  | string
  | (Transforms & { readonly column: string })
  | (Transforms & { readonly path: string })
  | { readonly const: string | number | boolean | null }
  /** `{name}` placeholders name variables (`vars`) first, then columns/paths. */
  | (Transforms & { readonly template: string })
  /** The named capture `group` (or the first group) of `regex` over `from`; no match is a rule failure. */
  | (Transforms & {
      readonly regex: string;
      readonly from: Expr;
      readonly group?: string | undefined;
      readonly unmatched?: Rejection | undefined;
    })
  /** Entry `key` of the table `lookup` (in `lookups`), keyed by `from`; field `get` of that entry. */
  | (Transforms & {
      readonly lookup: string;
      readonly from: Expr;
      readonly get: string;
      readonly unknown?: Rejection | undefined;
    })
  | (Transforms & { readonly var: string });

/** A number: the text of `from` as a decimal (or a boolean as 1/0), times `scale`. */
export interface ValueExpr {
  readonly from: Expr;
  /** Multiplier into the reading's unit (MW → kW is 1000). @default 1 */
  readonly scale?: number | undefined;
  /** `true`/`false` (any case) read as 1/0, besides numbers. @default false */
  readonly boolean?: boolean | undefined;
}

/** A rejection a mapping words itself: `{value}` in the message is the offending text, quoted. */
export interface Rejection {
  readonly reason: RuleReason;
  readonly message: string;
}

export interface CsvRecognition {
  /** Columns the header must have: any order, case- and space-insensitive. */
  readonly columns: readonly string[];
  /** Columns it may have; with `exact`, nothing else is allowed. */
  readonly optional?: readonly string[] | undefined;
  /** At least one of these must be present (a wide file's measure columns, say). */
  readonly any_of?: readonly string[] | undefined;
  /** The header has exactly `columns` (+ `optional`), no other. @default false */
  readonly exact?: boolean | undefined;
}

export interface JsonRecognition {
  /** Keys (dotted paths) every record (or the document) must have. */
  readonly paths: readonly string[];
  /** Where the keys are looked for. @default 'record' */
  readonly in?: 'record' | 'document' | undefined;
}

export interface Recognise {
  readonly csv?: CsvRecognition | undefined;
  readonly json?: JsonRecognition | undefined;
  /** Raw key prefixes whose objects are this source, header or not (`raw/acme/telemetry/`). */
  readonly prefixes?: readonly string[] | undefined;
  /** Higher wins when several mappings recognise a file. @default 0 */
  readonly priority?: number | undefined;
}

/** How records are found in a file. */
export type Shape =
  | { readonly kind: 'csv' }
  /** A JSON document: `records` is the path of the array of records; the rest is document metadata (`$doc.path`). */
  | { readonly kind: 'json'; readonly records: string }
  /** One JSON object per line. */
  | { readonly kind: 'ndjson' };

/** Where a reading was taken. */
export interface SiteSpec {
  readonly substation_id: Expr;
  readonly substation_name?: Expr | undefined;
  /** @default '' (a substation-wide reading) */
  readonly feeder_id?: Expr | undefined;
  /** @default `<substation_id>:<feeder_id>`, or `<substation_id>` with no feeder */
  readonly asset_id?: Expr | undefined;
}

/** One record → one reading (CSV long, one JSON record per reading). */
export interface LongReading {
  readonly measurement: Expr;
  /** L1/L2/L3/N or empty for none. @default none */
  readonly phase?: Expr | undefined;
  /** The unit the reading is stored in: canonical or declared. */
  readonly unit: Expr;
  /** The unit the source states; converted into `unit` (MW → kW), else `unit_mismatch`. */
  readonly source_unit?: SourceUnit | undefined;
  readonly value: ValueExpr;
}

export interface SourceUnit {
  readonly from: Expr;
  /** Readings in these units may leave the source unit empty (a power factor has none). */
  readonly optional_for?: readonly string[] | undefined;
}

/** One column (or path) of a record → one reading (CSV wide). */
export interface WideReading {
  /** The column or path holding the value. */
  readonly from: string;
  /** @default the column lower-cased */
  readonly measurement?: string | undefined;
  readonly unit: string;
  readonly phase?: 'L1' | 'L2' | 'L3' | 'N' | null | undefined;
  readonly scale?: number | undefined;
  readonly boolean?: boolean | undefined;
}

/** An array of name/value signals inside a record (`signals: [{name, value}]`). */
export interface SignalReadings {
  /** Path of the array in the record. */
  readonly path: string;
  /** Field of a signal holding its name. */
  readonly name: string;
  /** Field (path) of a signal holding its value; a JSON string there is parsed first. */
  readonly value: string;
  /** Signal name → what it measures; signals not listed are skipped. */
  readonly signals: Readonly<Record<string, Omit<WideReading, 'from'>>>;
}

export interface TimestampSpec {
  readonly from: Expr;
  /** `auto` reads ISO 8601 as today's splitter does; `epoch_s`/`epoch_ms` read numbers. @default 'auto' */
  readonly format?: 'auto' | 'epoch_s' | 'epoch_ms' | undefined;
  /** Zone of zone-less times: `UTC`, an IANA name, or `source` (the deployment's SOURCE_TIME_ZONE). @default 'UTC' */
  readonly zone?: string | undefined;
  /** Whether a period is labelled by its start or its end; events carry the start. @default 'start' */
  readonly label?: 'start' | 'end' | undefined;
  /** Length of a period, needed for `label: end`: `30m`, `1h`, `15m`, `1d`. */
  readonly period?: string | undefined;
}

/** A row condition: the text of `field` (after transforms) against the test. */
export interface Condition {
  readonly field: Expr;
  readonly equals?: readonly string[] | undefined;
  readonly matches?: string | undefined;
}

/** A rule on a field: `require` rejects when it is missing, `forbid` when it is present. */
export interface FieldRule {
  readonly field: Expr;
  readonly reason?: RuleReason | undefined;
  readonly message: string;
}

/** Per-row branch: the first whose `if` holds (or that has none) applies. */
export interface Branch {
  readonly if?: Condition | undefined;
  readonly vars?: Readonly<Record<string, Expr>> | undefined;
  readonly site?: Partial<SiteSpec> | undefined;
  readonly timestamp?: Pick<TimestampSpec, 'label' | 'period'> | undefined;
  readonly require?: readonly FieldRule[] | undefined;
  readonly forbid?: readonly FieldRule[] | undefined;
  /** The row is rejected with this (a value outside the vocabulary). */
  readonly reject?: Rejection | undefined;
}

/** A unit with no canonical equivalent, declared by the mapping. */
export interface UnitDeclaration {
  /** |value| above this is not physical: quarantined. */
  readonly max_abs: number;
  /** A negative value is physical but abnormal (the `negative_value` rule). @default false */
  readonly negative_is_abnormal?: boolean | undefined;
  /** A zero value is abnormal. @default false */
  readonly zero_is_abnormal?: boolean | undefined;
  readonly why?: string | undefined;
}

/** A lookup table: normalised key → named values (`measurement`, `phase`, `unit`, …). */
export interface LookupTable {
  /** Key normalisation applied to both the table's keys and the looked-up text. @default ['trim', 'lower', 'spaces'] */
  readonly normalise?: readonly ('trim' | 'lower' | 'spaces')[] | undefined;
  readonly entries: Readonly<Record<string, Readonly<Record<string, string | null>>>>;
}

/** Asset registry attributes the file carries (names, locations); they never erase a rating. */
export interface ReferenceSpec {
  readonly substation_name?: Expr | undefined;
  readonly latitude?: Expr | undefined;
  readonly longitude?: Expr | undefined;
}

export interface Mapping {
  /** Slug naming the source: `ingest --source NAME`, manifests' `format`. */
  readonly name: string;
  readonly description?: string | undefined;
  readonly recognise: Recognise;
  readonly shape: Shape;
  /** Texts meaning "no value" (case-insensitive, after trimming). @default [''] */
  readonly missing?: readonly string[] | undefined;
  /** When a reading of a multi-reading record is bad: reject the row, or skip only that reading. @default 'row' */
  readonly reject?: 'row' | 'reading' | undefined;
  readonly timestamp: TimestampSpec;
  /** Named values computed in order, before branches; templates and conditions use them. */
  readonly vars?: Readonly<Record<string, Expr>> | undefined;
  readonly branches?: readonly Branch[] | undefined;
  readonly site: SiteSpec;
  /** Exactly one of: `reading` (one per record), `readings` (one per column/path), `signals`. */
  readonly reading?: LongReading | undefined;
  readonly readings?: readonly WideReading[] | undefined;
  readonly signals?: SignalReadings | undefined;
  readonly lookups?: Readonly<Record<string, LookupTable>> | undefined;
  readonly units?: Readonly<Record<string, UnitDeclaration>> | undefined;
  readonly reference?: ReferenceSpec | undefined;
}

/** A loaded mapping with what identifies its exact content. */
export interface LoadedMapping {
  readonly mapping: Mapping;
  /** sha256 of the file's bytes, hex (the manifest records it). */
  readonly hash: string;
  /** Where it came from: `builtin:lv_long`, `s3://…/reference/sources/x.yaml`, a path. */
  readonly origin: string;
}
