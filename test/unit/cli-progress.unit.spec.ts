import { describe, expect, it } from 'vitest';
import { Progress, progressFor, type LiveRenderer } from '../../src/cli/progress.ts';

/** A stream that keeps what was written, and a clock the test moves. */
function harness(isTTY: boolean) {
  const written: string[] = [];
  const stream = { isTTY, write: (t: string) => written.push(t) };
  let now = 0;
  const clock = (): number => now;
  const frames: string[] = [];
  const renderer = Object.assign((text: string) => void frames.push(text), {
    clear: () => void frames.push('<clear>'),
    persist: (text: string) => void written.push(`${text}\n`),
  }) as LiveRenderer;
  return { written, frames, stream, clock, renderer, advance: (ms: number) => (now += ms) };
}

describe('the progress component', () => {
  it('on a TTY redraws one line with done/total, rate and ETA', () => {
    const h = harness(true);
    const p = new Progress({ stream: h.stream, live: true, clock: h.clock, renderer: h.renderer });
    p.tick({ task: 'state', done: 0, total: 10_000, unit: 'readings applied' });
    h.advance(2_000);
    p.tick({ task: 'state', done: 4_000, total: 10_000, unit: 'readings applied' });
    // 4,000 in 2 s → 2,000/s; 6,000 left → 3 s
    expect(h.frames.at(-1)).toBe('state: 4,000/10,000 readings applied (40%), 2,000 readings applied/s, ETA 3 s');
    expect(h.written).toEqual([]);
    p.note('uploading 3 file(s)');
    expect(h.written).toEqual(['uploading 3 file(s)\n']);
    expect(h.frames.at(-1)).toMatch(/^state: 4,000\/10,000/);
    p.finish();
    expect(h.frames.at(-1)).toBe('<clear>');
  });

  it('redraws at most every 100 ms, but always shows a task finishing', () => {
    const h = harness(true);
    const p = new Progress({ stream: h.stream, live: true, clock: h.clock, renderer: h.renderer });
    for (let i = 0; i < 50; i++) {
      p.tick({ task: 'upload', done: i * 1024, total: 100 * 1024, unit: 'bytes' });
      h.advance(10);
    }
    expect(h.frames.length).toBe(5);
    p.tick({ task: 'upload', done: 100 * 1024, total: 100 * 1024, unit: 'bytes' });
    expect(h.frames.at(-1)).toMatch(/^upload: 100 KiB\/100 KiB \(100%\)/);
  });

  it('off a TTY prints at most one plain line every 10 s, and notes as they come', () => {
    const h = harness(false);
    const p = new Progress({ stream: h.stream, live: false, clock: h.clock });
    p.note('waiting for state, anomaly to apply 6 reading(s)…');
    for (let s = 1; s <= 60; s++) {
      h.advance(1_000);
      p.tick({ task: 'state', done: s * 100, total: 6_000, unit: 'readings applied' });
    }
    // one note, then one meter line at 10, 20, …, 60 s: not one a second
    expect(h.written).toHaveLength(7);
    expect(h.written[0]).toBe('waiting for state, anomaly to apply 6 reading(s)…\n');
    expect(h.written[1]).toBe('state: 1,000/6,000 readings applied (16%), 100 readings applied/s, ETA 50 s\n');
  });

  it('a short command prints no meter line at all off a TTY', () => {
    const h = harness(false);
    const p = new Progress({ stream: h.stream, live: false, clock: h.clock });
    p.tick({ task: 'generate', done: 10, total: 100, unit: 'rows' });
    h.advance(3_000);
    p.tick({ task: 'generate', done: 100, total: 100, unit: 'rows' });
    expect(h.written).toEqual([]);
  });

  it('is plain with --json or --quiet even on a TTY (stdout is never written)', () => {
    const h = harness(true);
    for (const flags of [{ json: true }, { quiet: true }]) {
      const p = progressFor(h.stream, flags, h.clock);
      p.tick({ task: 'read', done: 1, unit: 'readings' });
      h.advance(10_000);
      p.tick({ task: 'read', done: 5_001, unit: 'readings' });
    }
    expect(h.frames).toEqual([]);
    expect(h.written).toEqual(['read: 5,001 readings, 500 readings/s\n', 'read: 5,001 readings, 500 readings/s\n']);
  });

  it('shows several tasks side by side without an ETA when the total is unknown', () => {
    const h = harness(false);
    const p = new Progress({ stream: h.stream, live: false, clock: h.clock, plainEveryMs: 1 });
    p.tick({ task: 'read', done: 0, unit: 'readings' });
    p.tick({ task: 'state', done: 0, total: 10, unit: 'readings applied' });
    h.advance(1_000);
    p.tick({ task: 'read', done: 10, unit: 'readings' });
    p.tick({ task: 'state', done: 10, total: 10, unit: 'readings applied' });
    expect(p.line()).toBe(
      'read: 10 readings, 10 readings/s | state: 10/10 readings applied (100%), 10 readings applied/s',
    );
  });
});
