/** How a person reads a verify report: the figures per zone, then every difference. */
import { ZONES, type Difference } from './model.ts';
import type { VerifyReport } from './verify.ts';

const n = (x: number): string => x.toLocaleString('en-GB');

export function renderVerify(r: VerifyReport): string {
  const byZone = (zone: string): Difference[] => r.differences.filter((d) => d.zone === zone);
  const mark = (zone: string): string => (byZone(zone).length === 0 ? 'ok' : `${byZone(zone).length} difference(s)`);
  const rd = r.readings;
  const lines = [
    `raw            ${mark('raw')}: ${n(r.raw.objects)} object(s), ${n(r.raw.manifests)} manifest(s), ${n(r.raw.rows_read)} rows read, ${n(r.raw.rows_quarantined)} quarantined (${n(r.raw.quarantine_entries)} entries)`,
    `readings       ${mark('readings')}: emitted ${n(rd.emitted.readings)} (digest ${rd.emitted.digest})` +
      (rd.duplicates || rd.corrections
        ? ` = ${n(rd.expected.readings)} distinct + ${n(rd.duplicates)} duplicate(s) + ${n(rd.corrections)} correction(s)`
        : ''),
    `               table ${n(rd.table.readings)} (digest ${rd.table.digest}${rd.table.compared_from_day ? `, from ${rd.table.compared_from_day}` : ''}), lake ${n(rd.lake.readings)} distinct (digest ${rd.lake.digest}); expected ${n(rd.expected.readings)} (digest ${rd.expected.digest}, from the ${rd.reference === 'raw' ? 'raw objects split again' : rd.reference})`,
    ...rd.duplicate_examples.map((e) => `               e.g. ${e}`),
    `latest         ${mark('latest')}: ${n(r.latest.items)} item(s) for ${n(r.latest.series)} series`,
    `notifications  ${mark('notifications')}: ${n(r.notifications.stored)} stored, ${n(r.notifications.unpublished)} unpublished`,
    `dlq            ${mark('dlq')}: ${n(r.dlq.entries)} entr${r.dlq.entries === 1 ? 'y' : 'ies'}`,
    ...r.notes.map((note) => `note: ${note}`),
  ];
  if (r.ok) return [...lines, '', 'verify: every check holds'].join('\n');
  const diffs = ZONES.flatMap((zone) => byZone(zone)).map((d) => `  ${d.zone}/${d.check}  ${d.subject}: ${d.detail}`);
  return [...lines, '', `verify: ${r.differences.length} difference(s):`, ...diffs].join('\n');
}
