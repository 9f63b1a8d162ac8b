/** The anomaly consumer's errors: each names what failed and carries its cause. */

export class AnomalyError extends Error {
  override name = 'AnomalyError';
}

/** Another writer moved the window on since it was read: the batch is retried from that reading. */
export class WindowConflictError extends AnomalyError {
  override name = 'WindowConflictError';
  constructor(
    readonly windowId: string,
    readonly expectedVersion: number,
    options?: ErrorOptions,
  ) {
    super(`window ${windowId} is no longer at version ${expectedVersion}`, options);
  }
}

/** A store call failed after its retries (the emulator or DynamoDB is away): the record is retried. */
export class StoreError extends AnomalyError {
  override name = 'StoreError';
}
