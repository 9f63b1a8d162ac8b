/**
 * A fault hook for tests that must stop a consumer at an exact point: the crash test
 * kills the process right after a batch is applied and before the event source mapping
 * checkpoints it, instead of racing a kill against the checkpoints; the poison hook
 * (`poisonAt`, installed on the embedded stack by `DUBEGRID_POISON`) makes a batch that
 * holds one reading throw before anything of it is applied.
 *
 * The kit calls the hook at each point; the Lambda entries never install one.
 */
import type { DecodedRecord } from './decode.ts';

/**
 * Where in a batch the kit is: `decoded` — nothing applied yet; `applied` — every write
 * done, the response not yet returned (so not checkpointed).
 */
export type FaultPhase = 'decoded' | 'applied';

export interface FaultPoint {
  readonly consumer: string;
  readonly shardId: string;
  /** 1-based count of this shard's batches seen by this handler (a shard's batches run one after another). */
  readonly batch: number;
  readonly phase: FaultPhase;
  readonly records: readonly DecodedRecord[];
}

export type FaultHook = (at: FaultPoint) => void;

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** Which point a `killAt` hook fires at: `<consumer>:<batch>:<phase>`, e.g. `state:3:applied` (any shard's 3rd batch). */
export interface FaultSpec {
  readonly consumer: string;
  readonly batch: number;
  readonly phase: FaultPhase;
}

export function parseFaultSpec(text: string): FaultSpec {
  const m = /^([a-z][\w-]*):(\d+):(applied)$/.exec(text.trim());
  if (!m)
    throw new FaultSpecError(
      `a fault is <consumer>:<batch>:<phase> with phase "applied", e.g. state:3:applied; got ${JSON.stringify(text)}`,
    );
  const batch = Number(m[2]);
  if (batch < 1) throw new FaultSpecError(`a fault's batch number counts from 1, got ${batch}`);
  return { consumer: m[1] as string, batch, phase: m[3] as FaultPhase };
}

/** A hook that ends the process with SIGKILL (no cleanup, like a crash) the first time `spec` is reached. */
export function killAt(spec: FaultSpec, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): FaultHook {
  return (at) => {
    if (at.consumer === spec.consumer && at.batch === spec.batch && at.phase === spec.phase) kill();
  };
}

/** What a poisoned batch throws: an infrastructure failure as far as the event source mapping can tell. */
export class PoisonedReadingError extends Error {
  override name = 'PoisonedReadingError';
}

/**
 * A hook that makes `consumer` throw on every batch holding the reading `eventId`, before
 * applying any of it: the batch fails as a whole, as when a write is refused, so the
 * event source mapping's retries, bisection and on-failure destination take it. `onPoisoned`
 * hears each time, with the record's place in the batch.
 */
export function poisonAt(
  consumer: string,
  eventId: string,
  onPoisoned: (message: string) => void = () => undefined,
): FaultHook {
  return (at) => {
    if (at.consumer !== consumer || at.phase !== 'decoded') return;
    const index = at.records.findIndex((r) => r.events.some((e) => e.event_id === eventId));
    if (index < 0) return;
    const message = `${consumer}/${at.shardId}: batch of ${at.records.length} record(s) poisoned at record ${index} (reading ${eventId})`;
    onPoisoned(message);
    throw new PoisonedReadingError(message);
  };
}
