/**
 * Header checks that come before any mapping: a header naming a column twice is no
 * layout, and a header with control characters is no CSV. Which layout a header is
 * lies with the mappings (mapping/set.ts).
 */

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
