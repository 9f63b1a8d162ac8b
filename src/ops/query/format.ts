/** Query results as CSV (RFC 4180: quoted where needed, CRLF-free, a header row). */
import type { Cell, QueryResult } from './result.ts';

export function csvCell(value: Cell): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(result: QueryResult): string {
  const lines = [
    result.columns.map((c) => csvCell(c.name)).join(','),
    ...result.rows.map((r) => r.map(csvCell).join(',')),
  ];
  return `${lines.join('\n')}\n`;
}
