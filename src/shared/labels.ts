/**
 * The columns of the anomaly ground-truth file (`labels.csv`, written by `dubegrid
 * generate --anomalies`): one row per injected anomaly. No part of the pipeline reads
 * it; ingest recognises it (to skip it) and the scoring reads it.
 */

/** The labels file's header, in order. */
export const LABEL_COLUMNS = ['asset_id', 'rule', 'start', 'end'] as const;
