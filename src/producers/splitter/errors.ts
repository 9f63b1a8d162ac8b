/**
 * The splitter's errors. Bad data is never an error here (it is quarantined); these
 * are failures of infrastructure or configuration, and they fail the invocation so
 * that Lambda retries it and, after its retries, lists the file on the on-failure
 * destination.
 */
export class SplitterError extends Error {
  override name = 'SplitterError';
}

/** Records of a file that could not be put on the stream within the retry budget. */
export class KinesisWriteError extends SplitterError {
  override name = 'KinesisWriteError';
  constructor(
    message: string,
    readonly stream: string,
    /** Entries still not written when the writer gave up. */
    readonly failedEntries: number,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One object of an invocation could not be split. */
export class ObjectSplitError extends SplitterError {
  override name = 'ObjectSplitError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    options: ErrorOptions,
  ) {
    super(
      `s3://${bucket}/${key} could not be split: ${(options.cause as Error | undefined)?.message ?? 'unknown error'}`,
      options,
    );
  }
}

/** An invocation in which some objects failed; thrown after every object was tried. */
export class SplitterInvocationError extends SplitterError {
  override name = 'SplitterInvocationError';
  constructor(readonly failures: readonly ObjectSplitError[]) {
    super(
      failures.length === 1
        ? (failures[0] as ObjectSplitError).message
        : `${failures.length} objects could not be split; first: ${failures[0]?.message}`,
      { cause: failures[0] },
    );
  }
}
