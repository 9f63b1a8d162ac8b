/**
 * Time-series charts on uPlot (canvas; a month at 10-minute resolution is 4,320 points
 * a series, which SVG chart libraries draw slowly). Every chart of a page shares the
 * cursor and draws the same alert marks, so alerts sit on the same time axis as the
 * readings; reference lines (a rating, the statutory voltage band) are drawn across.
 */
import uPlot from 'uplot';
import { h } from './dom.ts';

export interface Line {
  readonly label: string;
  readonly color: string;
  readonly values: (number | null)[];
}

export interface Reference {
  readonly value: number;
  readonly label: string;
  readonly color: string;
}

export interface Mark {
  /** Epoch seconds. */
  readonly t: number;
  readonly color: string;
}

export interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  /** Epoch seconds, ascending. */
  readonly xs: number[];
  readonly lines: readonly Line[];
  readonly references?: readonly Reference[] | undefined;
  readonly marks?: readonly Mark[] | undefined;
  /** Shared by the charts whose cursors move together. */
  readonly syncKey: string;
  /** The x range to show (epoch seconds), so charts of one page line up even where one has no data. */
  readonly range: readonly [number, number];
}

const HEIGHT = 220;

/** Appends a chart to `parent`; returns its destroy. */
export function chart(parent: HTMLElement, spec: ChartSpec): () => void {
  const box = h('figure', { class: 'chart', 'data-chart': spec.title, 'data-points': spec.xs.length });
  parent.append(box);
  box.append(h('figcaption', {}, `${spec.title} (${spec.unit})`));
  const values = spec.lines.flatMap((l) => l.values.filter((v): v is number => v !== null));
  const refs = spec.references ?? [];
  const all = [...values, ...refs.map((r) => r.value)];
  const lo = all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const pad = (hi - lo) * 0.08 || 1;
  const opts: uPlot.Options = {
    width: widthOf(box),
    height: HEIGHT,
    cursor: { sync: { key: spec.syncKey } },
    scales: {
      x: { time: true, min: spec.range[0], max: spec.range[1] },
      y: { range: () => [lo - pad, hi + pad] },
    },
    axes: [
      { stroke: '#556', values: timeTicks },
      { stroke: '#556', size: 56, label: spec.unit },
    ],
    legend: { live: true },
    series: [
      {
        label: 'time (UTC)',
        value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toISOString().slice(0, 16).replace('T', ' ')),
      },
      ...spec.lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.25, points: { show: false } })),
    ],
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          for (const r of refs) {
            const y = u.valToPos(r.value, 'y', true);
            ctx.strokeStyle = r.color;
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(left, y);
            ctx.lineTo(left + width, y);
            ctx.stroke();
            ctx.fillStyle = r.color;
            // uPlot leaves the context aligned as it drew its last axis
            ctx.textAlign = 'left';
            ctx.textBaseline = 'bottom';
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            ctx.fillText(r.label, left + 4 * devicePixelRatio, y - 3 * devicePixelRatio);
          }
          ctx.setLineDash([]);
          for (const m of spec.marks ?? []) {
            const x = u.valToPos(m.t, 'x', true);
            if (x < left || x > left + width) continue;
            ctx.strokeStyle = m.color;
            ctx.globalAlpha = 0.55;
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
  const plot = new uPlot(opts, [spec.xs, ...spec.lines.map((l) => l.values)] as uPlot.AlignedData, box);
  if (!spec.xs.length) box.append(h('p', { class: 'muted empty' }, 'no readings in this range'));
  const resize = new ResizeObserver(() => plot.setSize({ width: widthOf(box), height: HEIGHT }));
  resize.observe(box);
  return () => {
    resize.disconnect();
    plot.destroy();
  };
}

/** Tick labels in UTC on a 24-hour clock: the date at midnight, the time otherwise. */
function timeTicks(_u: uPlot, splits: number[]): string[] {
  return splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    return iso.slice(11, 16) === '00:00' ? iso.slice(5, 10) : iso.slice(11, 16);
  });
}

/** The figure's content width: uPlot's canvas must fit inside its padding, or a phone screen scrolls sideways. */
function widthOf(el: HTMLElement): number {
  const style = getComputedStyle(el);
  const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.max(240, Math.floor(inner || 600));
}
