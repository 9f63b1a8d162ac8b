/** Defaults that commands' `--help` shows and their implementations apply: one place for both. */

/** How long `ingest --wait` and `backfill --wait` wait for the pipeline to catch up. */
export const DEFAULT_TIMEOUT_S = 3_600;

/** Readings printed by `series` unless --limit says otherwise: a month of one asset at 10 minutes. */
export const DEFAULT_SERIES_LIMIT = 10_000;
