import { describe, expect, it } from 'vitest';
import { collectDue, HEAP_PACER, headroomFromEnv, type PacerState } from '../../src/local/heap-pacer.ts';

const MiB = 1024 * 1024;

describe('collectDue', () => {
  it('collects once used heap is the headroom above the live set, not before', () => {
    const state: PacerState = { floorBytes: 90 * MiB, lastCollectAt: 0 };
    expect(collectDue(state, 150 * MiB, 10_000, 64 * MiB)).toBe(false);
    expect(collectDue(state, 154 * MiB, 10_000, 64 * MiB)).toBe(true);
  });

  it('collects at most once per spacing, however fast the heap grows', () => {
    const state: PacerState = { floorBytes: 90 * MiB, lastCollectAt: 10_000 };
    expect(collectDue(state, 400 * MiB, 10_000 + HEAP_PACER.minSpacingMs - 1, 64 * MiB)).toBe(false);
    expect(collectDue(state, 400 * MiB, 10_000 + HEAP_PACER.minSpacingMs, 64 * MiB)).toBe(true);
  });

  it("lowers the floor when V8's own collection went below it", () => {
    const state: PacerState = { floorBytes: 120 * MiB, lastCollectAt: 0 };
    expect(collectDue(state, 80 * MiB, 10_000, 64 * MiB)).toBe(false);
    expect(state.floorBytes).toBe(80 * MiB);
    expect(collectDue(state, 144 * MiB, 10_000, 64 * MiB)).toBe(true);
  });
});

describe('headroomFromEnv', () => {
  it('reads MiB, 0 turning the pacer off; anything else is the default', () => {
    expect(headroomFromEnv({ [HEAP_PACER.env]: '32' })).toBe(32 * MiB);
    expect(headroomFromEnv({ [HEAP_PACER.env]: '0' })).toBe(0);
    expect(headroomFromEnv({})).toBe(HEAP_PACER.headroomBytes);
    expect(headroomFromEnv({ [HEAP_PACER.env]: 'lots' })).toBe(HEAP_PACER.headroomBytes);
    expect(headroomFromEnv({ [HEAP_PACER.env]: '-5' })).toBe(HEAP_PACER.headroomBytes);
  });
});
