/**
 * Errors of replay, backfill, rebuild and verify. Bad data is never an error here (it
 * is a difference verify reports, or a quarantine entry); these are what stops a run.
 */
export class ReplayError extends Error {
  override name = 'ReplayError';
}

/** A flag's value cannot be used; the CLI turns it into a usage error (exit 2). */
export class ReplayOptionError extends ReplayError {
  override name = 'ReplayOptionError';
}

/** The run cannot go ahead as things stand (a live consumer in the way, a stream that no longer holds the range). */
export class ReplayPreconditionError extends ReplayError {
  override name = 'ReplayPreconditionError';
}
