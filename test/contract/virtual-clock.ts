/**
 * A clock for contract suites: `sleep` parks a timer, `settle()` moves time to the
 * next timer only once nothing else can happen, so a run is the same every time
 * and minutes of Lambda's schedule pass in no real time.
 */
export class VirtualClock {
  private t = 0;
  private timers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;

  now = (): number => this.t;

  sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.timers.push({ at: this.t + ms, seq: this.seq++, wake });
    });

  /** Runs every pending callback and timer until nothing is left to do. */
  async settle(): Promise<void> {
    for (;;) {
      await drain();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.wake();
    }
  }
}

/** Lets promise chains and I/O callbacks already started run on. */
async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
