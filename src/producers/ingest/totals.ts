/** The sums `ingest --wait` prints over the manifests of the files it uploaded. */
import type { Manifest } from '../../shared/manifest.ts';
import type { QuarantineReason } from '../../shared/quarantine.ts';

export interface IngestTotals {
  readonly files: number;
  readonly rows_read: number;
  readonly rows_accepted: number;
  readonly rows_quarantined: number;
  readonly quarantine_reasons: Partial<Record<QuarantineReason, number>>;
  readonly events_emitted: number;
  readonly kinesis_records: number;
  readonly put_payload_units: number;
  readonly billed_bytes_on_demand: number;
  /** Files the splitter could not read to their end (see their manifests' `stopped_early`). */
  readonly files_stopped_early: number;
}

export function totalsOf(manifests: readonly Manifest[]): IngestTotals {
  const reasons: Partial<Record<QuarantineReason, number>> = {};
  let rowsRead = 0;
  let accepted = 0;
  let quarantined = 0;
  let events = 0;
  let records = 0;
  let units = 0;
  let billed = 0;
  let stopped = 0;
  for (const m of manifests) {
    rowsRead += m.rows_read;
    accepted += m.rows_accepted;
    quarantined += m.rows_quarantined;
    events += m.events_emitted;
    records += m.kinesis.records;
    units += m.kinesis.put_payload_units;
    billed += m.kinesis.billed_bytes_on_demand;
    if (m.stopped_early) stopped++;
    for (const [reason, n] of Object.entries(m.quarantine_reasons) as [QuarantineReason, number][])
      reasons[reason] = (reasons[reason] ?? 0) + n;
  }
  return {
    files: manifests.length,
    rows_read: rowsRead,
    rows_accepted: accepted,
    rows_quarantined: quarantined,
    quarantine_reasons: reasons,
    events_emitted: events,
    kinesis_records: records,
    put_payload_units: units,
    billed_bytes_on_demand: billed,
    files_stopped_early: stopped,
  };
}
