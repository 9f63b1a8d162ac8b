/**
 * The one progress component of every long-running command.
 *
 * - Live (stderr is a TTY, no --json, no --quiet): one line redrawn in place (log-update
 *   only redraws; done/total, rate and ETA are computed here on an injected clock).
 * - Plain (not a TTY, --json or --quiet): the meter prints at most one line every
 *   `plainEveryMs` (10 s), so a log or CI output is not a wall of lines.
 *
 * `note(line)` is for one-off events ("uploading 3 file(s)…", "skipping labels.csv"):
 * they are printed as lines in both modes (tests and users read them), above the live
 * line when there is one. Everything goes to stderr: stdout keeps the result (one JSON
 * document with --json).
 */
import { createLogUpdate } from 'log-update';
import { formatBytes } from '../shared/bytes.ts';
import type { ProgressTick } from '../shared/progress.ts';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  readonly stream: ProgressStream;
  /** Redraw one line in place; otherwise plain, throttled lines. */
  readonly live: boolean;
  /** Milliseconds since any fixed origin. @default performance.now */
  readonly clock?: (() => number) | undefined;
  /** @default 10000 */
  readonly plainEveryMs?: number;
  /** Redraws of the live line at most this often. @default 100 */
  readonly redrawEveryMs?: number;
  /** The live renderer; tests inject one. @default log-update on `stream` */
  readonly renderer?: LiveRenderer;
}

/** What log-update does for us: draw, clear and persist a line. */
export interface LiveRenderer {
  (text: string): void;
  clear(): void;
  persist(text: string): void;
}

interface TaskState {
  tick: ProgressTick;
  /** The first sample of the task: the rate is measured from it. */
  readonly startedAt: number;
  readonly startDone: number;
  readonly at: number;
}

export const PLAIN_EVERY_MS = 10_000;

export class Progress {
  private readonly tasks = new Map<string, TaskState>();
  private readonly clock: () => number;
  private readonly renderer?: LiveRenderer;
  /** Plain lines start 10 s in: a short command prints no meter line at all. */
  private lastPlain: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(private readonly o: ProgressOptions) {
    this.clock = o.clock ?? (() => performance.now());
    this.lastPlain = this.clock();
    if (o.live) this.renderer = o.renderer ?? logUpdateOn(o.stream);
  }

  /** A one-off line: always printed. */
  readonly note = (line: string): void => {
    if (this.renderer && this.drawn) {
      this.renderer.persist(line);
      this.redraw();
    } else this.o.stream.write(`${line}\n`);
  };

  /** A new count for a task: redrawn live, or a plain line when 10 s have passed. */
  readonly tick = (tick: ProgressTick): void => {
    const now = this.clock();
    const held = this.tasks.get(tick.task);
    this.tasks.set(
      tick.task,
      held ? { ...held, tick, at: now } : { tick, startedAt: now, startDone: tick.done, at: now },
    );
    if (this.renderer) {
      const finished = tick.total !== undefined && tick.done >= tick.total;
      if (finished || now - this.lastDraw >= (this.o.redrawEveryMs ?? 100)) this.redraw();
      return;
    }
    if (now - this.lastPlain < (this.o.plainEveryMs ?? PLAIN_EVERY_MS)) return;
    this.lastPlain = now;
    this.o.stream.write(`${this.line()}\n`);
  };

  /** Forget the tasks of a phase that is over (the next tick starts a new rate). */
  end(task?: string): void {
    if (task === undefined) this.tasks.clear();
    else this.tasks.delete(task);
  }

  /** Clears the live line before the result is printed. */
  finish(): void {
    this.tasks.clear();
    if (this.renderer && this.drawn) this.renderer.clear();
    this.drawn = false;
  }

  /** The current line: every task's done/total, rate and ETA. */
  line(): string {
    const now = this.clock();
    return [...this.tasks.values()].map((t) => describeTask(t, now)).join(' | ');
  }

  private redraw(): void {
    // a note with no count on screen leaves nothing to redraw below it
    if (!this.renderer || this.tasks.size === 0) return;
    this.lastDraw = this.clock();
    this.renderer(this.line());
    this.drawn = true;
  }
}

function describeTask(t: TaskState, now: number): string {
  const { task, done, total, unit } = t.tick;
  const amount =
    total === undefined ? amountOf(done, unit) : `${fmt(done, unit)}/${amountOf(total, unit)} (${pct(done, total)})`;
  const seconds = (t.at - t.startedAt) / 1000;
  const rate = seconds > 0 ? (done - t.startDone) / seconds : undefined;
  const parts = [`${task}: ${amount}`];
  if (rate !== undefined && rate > 0) {
    parts.push(`${amountOf(rate, unit)}/s`);
    if (total !== undefined && done < total) parts.push(`ETA ${duration((total - done) / rate - (now - t.at) / 1000)}`);
  }
  return parts.join(', ');
}

function pct(done: number, total: number): string {
  return total > 0 ? `${Math.min(100, Math.floor((done / total) * 100))}%` : '100%';
}

const fmt = (n: number, unit: string): string =>
  unit === 'bytes' ? formatBytes(Math.round(n)) : Math.round(n).toLocaleString('en-GB');
/** Bytes carry their own unit (`1.2 MiB`); other counts are followed by theirs. */
const amountOf = (n: number, unit: string): string =>
  unit === 'bytes' ? formatBytes(Math.round(n)) : `${fmt(n, unit)} ${unit}`;

/** `4 s`, `2 min 5 s`, `1 h 3 min`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function logUpdateOn(stream: ProgressStream): LiveRenderer {
  const update = createLogUpdate(stream as NodeJS.WritableStream);
  const render = ((text: string) => update(text)) as LiveRenderer;
  render.clear = () => update.clear();
  render.persist = (text: string) => {
    update.clear();
    stream.write(`${text}\n`);
  };
  return render;
}

/** Live only on a terminal, and never with --json or --quiet. */
export function progressFor(
  stream: ProgressStream,
  flags: { readonly json?: boolean; readonly quiet?: boolean },
  clock?: () => number,
): Progress {
  return new Progress({
    stream,
    live: stream.isTTY === true && flags.json !== true && flags.quiet !== true,
    clock,
  });
}
