/** Rows as CSV (RFC 4180: quote a field holding a comma, quote or line break; double the quotes). Pure. */
export type Cell = string | number | boolean | null | undefined;

export function toCsv(columns: readonly string[], rows: readonly Record<string, Cell>[]): string {
  const field = (v: Cell): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return (
    [columns.map(field).join(','), ...rows.map((r) => columns.map((c) => field(r[c])).join(','))].join('\r\n') + '\r\n'
  );
}
