/**
 * Format detection from the header row (case-insensitive, trimmed): the LV monitor
 * long format, the DNO wide format, or nothing — then every row is quarantined as
 * `unknown_format`.
 */
import { DnoWideMapper } from './dno-wide.ts';
import { LvLongMapper } from './lv-long.ts';
import type { RowMapper } from './rows.ts';
import { TimestampReader } from './timestamps.ts';

export interface FormatOptions {
  /** Zone of zone-less LV monitor timestamps. @default 'UTC' */
  readonly sourceTimeZone?: string | undefined;
}

export function normaliseHeader(fields: readonly string[]): string[] {
  return fields.map((f) => f.trim().toLowerCase());
}

/** The first column a header names twice (after normalising), if any. */
export function duplicateColumn(header: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of normaliseHeader(header)) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/**
 * The mapper for a header, or undefined when it is no known format. A header naming a
 * column twice is none: which of the two holds the value cannot be known, and a wide
 * row would give two readings one event id.
 */
export function detectFormat(header: readonly string[], options: FormatOptions = {}): RowMapper | undefined {
  if (duplicateColumn(header) !== undefined) return undefined;
  const names = normaliseHeader(header);
  return (
    LvLongMapper.forHeader(names, new TimestampReader(options.sourceTimeZone ?? 'UTC')) ??
    DnoWideMapper.forHeader(names)
  );
}

/** A header with control characters or undecodable bytes means the body is not CSV text. */
export function looksBinary(fields: readonly string[]): boolean {
  return fields.some(hasBinary);
}

function hasBinary(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // C0 controls other than tab, LF, CR; U+FFFD stands for bytes that are not UTF-8
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffd) return true;
  }
  return false;
}
