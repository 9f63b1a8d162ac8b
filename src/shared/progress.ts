/**
 * How long-running work reports how far it is, without knowing who shows it: a core
 * calls `meter({ task, done, total, unit })` with counts it knows (bytes uploaded of
 * the files' sizes, readings applied of the manifests' sum); the CLI's progress
 * component turns that into one redrawn line, a rate and an ETA.
 */
export interface ProgressTick {
  /** What is being done, e.g. "upload" or "state"; ticks of the same task replace each other. */
  readonly task: string;
  readonly done: number;
  /** Absent when the total is not known (no ETA then). */
  readonly total?: number;
  /** The natural unit of `done`: bytes, rows, readings, files, records, objects. */
  readonly unit: string;
}

export type ProgressMeter = (tick: ProgressTick) => void;
