/**
 * The record accessor: how a field expression's column or path becomes a getter on
 * one record, whatever the file. Compiled once per header (CSV) or per document (JSON),
 * so reading a field on the hot path is one array index or a few property reads.
 *
 * A getter returns the field's text, or undefined when the record does not have it.
 * Numbers and booleans in JSON are returned as their JSON text (`true`, `12.5`).
 */
export type Getter<R> = (record: R) => string | undefined;

export interface RecordAccessor<R> {
  /** The getter for a column (CSV) or path (JSON); undefined when this layout has no such field. */
  field(name: string): Getter<R> | undefined;
  /** How the field is named in messages. */
  label(name: string): string;
  /** Where the field stands in the record (a CSV column's index): readings are emitted in this order. */
  position?(name: string): number;
  /**
   * JSON: a getter giving a field's finite number as it is, anything else as `field`'s
   * text. A reading's value then skips a round trip through text (`String(n)` read back
   * is `n`), which costs about as much as parsing the record.
   */
  numeric?(name: string): NumericGetter<R>;
  /**
   * A CSV column's index, for compiled expressions that read `record[index]` themselves
   * (one call less per field per record); undefined when the layout has no such column.
   * Only for accessors whose records are arrays of the fields' texts.
   */
  index?(name: string): number | undefined;
}

export type NumericGetter<R> = (record: R) => number | string | undefined;

/** CSV: columns by header name, case- and space-insensitive (`Feeder ID` = ` feeder  id `); the first of a repeated name. */
export function csvAccessor(header: readonly string[]): RecordAccessor<readonly string[]> {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    const key = normaliseColumn(name);
    if (!index.has(key)) index.set(key, i);
  });
  // one getter per column, however its name is spelled (expressions reading one column share it)
  const getters: Getter<readonly string[]>[] = [];
  return {
    field(name) {
      const i = index.get(normaliseColumn(name));
      return i === undefined ? undefined : (getters[i] ??= (row) => row[i]);
    },
    label: (name) => name,
    position: (name) => index.get(normaliseColumn(name)) ?? Number.MAX_SAFE_INTEGER,
    index: (name) => index.get(normaliseColumn(name)),
  };
}

/** A header column's comparable form: trimmed, lower-cased, runs of white space as one. */
export function normaliseColumn(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, ' ');
}
