/**
 * Keeps the heap of the process running the embedded pipeline (`up`, `start`, a command's
 * own stack) near its live set. Its live set is ~90 MiB while ingesting (a heap snapshot
 * at 201 MiB used held 90), but V8 sizes its next full collection from the machine (a
 * limit of ~4 GiB here) and the big responses it parses (GetRecords pages, S3 bodies) go
 * straight to the old generation, so used heap swung to 300–380 MiB between full
 * collections: the larger part of `up`'s peak (docs/reliability.md → "Peak memory").
 * A `--max-old-space-size` (bin/dubegrid.js's shebang could carry one, as it carries the
 * young generation's size) would turn a larger workload into an out-of-memory crash rather
 * than more collections; instead this looks at the heap every `checkMs` and runs a full
 * collection itself once used heap is `headroom` above what the last one left (32 MiB; at
 * 64 `up`'s peak was ~30 MiB higher, and on the shared 2-core machine no throughput
 * difference between the two could be told apart from the load's). The emulator host
 * runs one too. `DUBEGRID_HEAP_HEADROOM_MB` sets the headroom of both; 0
 * turns them off.
 *
 * "Used" counts V8's external memory too (ArrayBuffers: response bodies, record data),
 * which is freed only when the objects holding it are collected: counting the heap alone,
 * `up` sat at idle with 90 MiB of dead ArrayBuffers that no heap growth ever collected.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const HEAP_PACER = {
  /** Collect once used heap is this far above the live set. */
  headroomBytes: 32 * 1024 * 1024,
  /**
   * The emulator host's (its live set is 20–50 MiB, and it has a 256 MiB limit besides).
   * Half `up`'s: a full collection of so small a heap is cheap, and its heap swings are
   * response strings of 2 MiB (GetRecords JSON) that die at once (32 until the third pass
   * of "Peak memory").
   */
  hostHeadroomBytes: 16 * 1024 * 1024,
  checkMs: 250,
  /** At most one collection this often: a full collection of ~100 MiB takes 50–150 ms. */
  minSpacingMs: 1_000,
  env: 'DUBEGRID_HEAP_HEADROOM_MB',
} as const;

export interface PacerState {
  /** Used heap and external memory right after the latest full collection (the live set then). */
  floorBytes: number;
  lastCollectAt: number;
}

/** Whether to collect now (`usedBytes`: heap and external); V8's own collections that went below the floor lower it. */
export function collectDue(state: PacerState, usedBytes: number, now: number, headroomBytes: number): boolean {
  if (usedBytes < state.floorBytes) state.floorBytes = usedBytes;
  return usedBytes >= state.floorBytes + headroomBytes && now - state.lastCollectAt >= HEAP_PACER.minSpacingMs;
}

/** Headroom from the environment: MiB, 0 for off; `fallback` when unset or not a number. */
export function headroomFromEnv(env: NodeJS.ProcessEnv, fallback: number = HEAP_PACER.headroomBytes): number {
  const raw = env[HEAP_PACER.env];
  const mib = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(mib) && mib >= 0 ? mib * 1024 * 1024 : fallback;
}

/** A full collection, from `--expose-gc` set at run time (the `gc` it exposes lives in new contexts). */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Starts pacing; returns the stop. */
export function startHeapPacer(headroomBytes = headroomFromEnv(process.env)): () => void {
  if (headroomBytes <= 0) return () => undefined;
  const gc = fullCollection();
  const used = (): number => {
    const s = getHeapStatistics();
    return s.used_heap_size + s.external_memory;
  };
  const state: PacerState = { floorBytes: used(), lastCollectAt: 0 };
  const timer = setInterval(() => {
    const now = Date.now();
    if (!collectDue(state, used(), now, headroomBytes)) return;
    gc();
    state.floorBytes = used();
    state.lastCollectAt = now;
  }, HEAP_PACER.checkMs);
  timer.unref();
  return () => clearInterval(timer);
}
