// One timeline per thread (uPlot): loop delay (p99, max) and utilization from the health lines, and
// every finding marked on it: a block as a band as long as it lasted, the others as a glyph in a lane
// of their kind along the top. All timelines share one time axis: zooming or panning one moves all.
// Drag to zoom, wheel to zoom around the pointer, shift+wheel (or a sideways wheel) to pan, double-click
// to see the whole run again; a click on a mark selects it.
import uPlot from 'uplot';
import type { Mark, ThreadModel } from '../model.js';
import { kindColor, KIND_COLORS, type Report } from './data.js';
import { el } from './dom.js';
import { duration } from './format.js';

export interface TimelineHost {
  report: Report;
  selected(): number;
  select(mark: number): void;
}

interface Chart {
  plot: uPlot;
  thread: number;
  /** Lane of each point kind (blocks have none). */
  lanes: Map<string, number>;
  tip: HTMLElement;
}

// A window's value holds back to the line before (see seriesData).
const steps = uPlot.paths.stepped?.({ align: -1 });
const LANE_TOP = 7;
const LANE_GAP = 12;
const HEIGHT = 150;

/** Where each of a thread's marks is, in CSS px of the plotting area, for hit tests. */
function hitTest(chart: Chart, report: Report, x: number, y: number): number {
  const u = chart.plot;
  let best = -1;
  let bestScore = Infinity;
  for (const i of report.byThread[chart.thread] ?? []) {
    const m = report.mark(i)!;
    const x0 = u.valToPos(m.t / 1000, 'x');
    if (m.kind === 'block') {
      const x1 = Math.max(u.valToPos((m.t + m.d) / 1000, 'x'), x0 + 2);
      if (x >= x0 - 3 && x <= x1 + 3) {
        // A point on top of a band wins; among bands the narrowest.
        const score = 1000 + (x1 - x0);
        if (score < bestScore) [best, bestScore] = [i, score];
      }
    } else {
      const laneY = LANE_TOP + (chart.lanes.get(m.kind) ?? 0) * LANE_GAP;
      const dx = Math.abs(x - x0);
      const dy = Math.abs(y - laneY);
      if (dx <= 6 && dy <= 8 && dx + dy < bestScore) [best, bestScore] = [i, dx + dy];
    }
  }
  return best;
}

function drawMarks(chart: Chart, host: TimelineHost): void {
  const u = chart.plot;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const px = uPlot.pxRatio;
  const min = u.scales.x?.min ?? 0;
  const max = u.scales.x?.max ?? 0;
  const selected = host.selected();
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  const marks = host.report.byThread[chart.thread] ?? [];
  // Many bands in view would shade the whole chart: then only their strip along the bottom is drawn.
  let inView = 0;
  for (const i of marks) {
    const m = host.report.mark(i)!;
    if (m.kind === 'block' && (m.t + m.d) / 1000 >= min && m.t / 1000 <= max) inView++;
  }
  const shade = inView <= 150;
  // Bands first, glyphs over them, the selected mark last.
  for (const pass of ['block', 'point', 'selected'] as const) {
    for (const i of marks) {
      const m = host.report.mark(i)!;
      const isBlock = m.kind === 'block';
      if ((pass === 'block' && !isBlock) || (pass === 'point' && isBlock) || (pass === 'selected' && i !== selected)) continue;
      if ((m.t + m.d) / 1000 < min || m.t / 1000 > max) continue;
      const x0 = u.valToPos(m.t / 1000, 'x', true);
      const color = kindColor(m.kind);
      if (isBlock) {
        const x1 = Math.max(u.valToPos((m.t + m.d) / 1000, 'x', true), x0 + 2 * px);
        if (shade || pass === 'selected') {
          ctx.fillStyle = 'rgba(220, 38, 38, 0.16)';
          ctx.fillRect(x0, top, x1 - x0, height);
        }
        ctx.fillStyle = color;
        ctx.fillRect(x0, top + height - 4 * px, x1 - x0, 4 * px);
        if (m.ongoing) {
          ctx.setLineDash([3 * px, 3 * px]);
          ctx.strokeStyle = color;
          ctx.strokeRect(x0, top, x1 - x0, height);
          ctx.setLineDash([]);
        }
        if (pass === 'selected') {
          ctx.lineWidth = 2 * px;
          ctx.strokeStyle = '#111827';
          ctx.strokeRect(x0, top + px, x1 - x0, height - 2 * px);
        }
      } else {
        const y = top + (LANE_TOP + (chart.lanes.get(m.kind) ?? 0) * LANE_GAP) * px;
        const r = (pass === 'selected' ? 6 : 4.5) * px;
        ctx.beginPath();
        ctx.moveTo(x0, y - r);
        ctx.lineTo(x0 + r, y);
        ctx.lineTo(x0, y + r);
        ctx.lineTo(x0 - r, y);
        ctx.closePath();
        ctx.fillStyle = color;
        ctx.fill();
        if (pass === 'selected') {
          ctx.lineWidth = 2 * px;
          ctx.strokeStyle = '#111827';
          ctx.stroke();
        }
      }
    }
  }
  ctx.restore();
}

/**
 * x: seconds; each health line's numbers hold for its window, which ends at its time and began at the
 * line before (the first at the thread's start, or a second before): drawn as steps back to there.
 */
function seriesData(t: ThreadModel, span: [number, number]): uPlot.AlignedData {
  const h = t.health;
  if (h.t.length === 0) return [[span[0], span[1]], [null, null], [null, null], [null, null]];
  const order = h.t.map((_, i) => i).sort((a, b) => h.t[a]! - h.t[b]!);
  const first = order[0]!;
  const began = Math.min(t.start ?? h.t[first]! - 1000, h.t[first]!);
  // The leading point repeats the first window's numbers: a step is drawn only between two values.
  const column = (values: number[], scale = 1) => {
    const ys = order.map((i) => Math.round(values[i]! * scale * 100) / 100);
    return [ys[0]!, ...ys];
  };
  return [[began / 1000, ...order.map((i) => h.t[i]! / 1000)], column(h.p99), column(h.max), column(h.elu, 100)];
}

export class Timelines {
  readonly charts: Chart[] = [];
  /** The whole run, in seconds. */
  readonly span: [number, number];
  private syncing = false;

  constructor(private readonly host: TimelineHost) {
    const { start, end } = host.report.model;
    const length = Math.max((end - start) / 1000, 1);
    this.span = [start / 1000 - length * 0.02, end / 1000 + length * 0.02];
  }

  /** The chart of one thread, drawn into `into` (already in the document: uPlot measures it). */
  add(thread: number, into: HTMLElement): void {
    const t = this.host.report.model.threads[thread]!;
    const kinds = new Set((this.host.report.byThread[thread] ?? []).map((i) => this.host.report.mark(i)!.kind).filter((k) => k !== 'block'));
    const order = [...Object.keys(KIND_COLORS), ...[...kinds].sort()];
    const lanes = new Map([...new Set(order.filter((k) => kinds.has(k)))].map((k, i) => [k, i]));
    const tip = el('div', { class: 'tip', attrs: { hidden: '' } });
    // The hooks run while uPlot builds the chart, before it is in the list.
    const holder: { chart: Chart | null } = { chart: null };
    const range = this.current();
    const ms = (_: uPlot, v: number | null) => (v === null || v === undefined ? '–' : duration(v));
    const opts: uPlot.Options = {
      width: Math.max(320, into.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true }, ms: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, pct: { range: [0, 100] } },
      series: [
        { value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleTimeString()) },
        { label: 'loop delay p99', scale: 'ms', stroke: '#b91c1c', width: 1.5, value: ms, paths: steps },
        { label: 'max', scale: 'ms', stroke: '#f97316', width: 1, dash: [4, 3], value: ms, paths: steps },
        { label: 'utilization', scale: 'pct', stroke: '#2563eb', fill: 'rgba(37, 99, 235, 0.08)', width: 1, value: (_u, v) => (v === null ? '–' : `${v}%`), paths: steps },
      ],
      axes: [
        {},
        { scale: 'ms', values: (_u, vals) => vals.map((v) => (v === 0 ? '0' : duration(v))), size: 64 },
        { scale: 'pct', side: 1, grid: { show: false }, values: (_u, vals) => vals.map((v) => `${v}%`), size: 44 },
      ],
      cursor: {
        drag: { x: true, y: false, setScale: true },
        sync: { key: 'asyncdebug' },
        bind: { dblclick: () => () => (this.reset(), null) },
      },
      hooks: {
        draw: [() => holder.chart && drawMarks(holder.chart, this.host)],
        setScale: [(u, key) => key === 'x' && holder.chart !== null && this.follow(u)],
      },
    };
    const plot = new uPlot(opts, seriesData(t, this.span), into);
    const chart: Chart = { plot, thread, lanes, tip };
    holder.chart = chart;
    this.charts.push(chart);
    plot.over.appendChild(tip);
    plot.setScale('x', { min: range[0], max: range[1] });
    this.listen(chart);
  }

  private listen(chart: Chart): void {
    const over = chart.plot.over;
    over.addEventListener('click', (e) => {
      const hit = hitTest(chart, this.host.report, e.offsetX, e.offsetY);
      if (hit >= 0) this.host.select(hit);
    });
    over.addEventListener('mousemove', (e) => {
      const hit = hitTest(chart, this.host.report, e.offsetX, e.offsetY);
      over.style.cursor = hit >= 0 ? 'pointer' : '';
      const m = hit >= 0 ? this.host.report.mark(hit) : undefined;
      chart.tip.hidden = !m;
      if (m) {
        chart.tip.textContent = tipText(m, this.host.report);
        chart.tip.style.left = `${Math.min(e.offsetX + 12, over.clientWidth - 220)}px`;
        chart.tip.style.top = `${e.offsetY + 14}px`;
      }
    });
    over.addEventListener('mouseleave', () => (chart.tip.hidden = true));
    over.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const u = chart.plot;
        const sideways = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
        if (sideways) this.pan(Math.sign(e.deltaX || e.deltaY) * 0.15);
        else this.zoom(e.deltaY > 0 ? 1.25 : 0.8, u.posToVal(e.offsetX, 'x'));
      },
      { passive: false },
    );
  }

  /** One chart's x range went to every other chart. */
  private follow(from: uPlot): void {
    if (this.syncing) return;
    this.syncing = true;
    const min = from.scales.x?.min ?? this.span[0];
    const max = from.scales.x?.max ?? this.span[1];
    for (const c of this.charts) if (c.plot !== from) c.plot.setScale('x', { min, max });
    this.syncing = false;
    this.onRange?.(min, max);
  }

  onRange: ((min: number, max: number) => void) | null = null;

  current(): [number, number] {
    const x = this.charts[0]?.plot.scales.x;
    return x && x.min !== undefined && x.max !== undefined && x.min !== null && x.max !== null ? [x.min, x.max] : this.span;
  }

  setRange(min: number, max: number): void {
    const [lo, hi] = this.span;
    // At least 5 ms wide, at most the whole run, and inside it.
    const width = Math.min(Math.max(max - min, 0.005), hi - lo);
    const a = Math.max(lo, Math.min(min, hi - width));
    this.charts[0]?.plot.setScale('x', { min: a, max: a + width });
  }

  zoom(factor: number, center?: number): void {
    const [min, max] = this.current();
    const c = center ?? (min + max) / 2;
    this.setRange(c - (c - min) * factor, c + (max - c) * factor);
  }

  pan(fraction: number): void {
    const [min, max] = this.current();
    const by = (max - min) * fraction;
    this.setRange(min + by, max + by);
  }

  reset(): void {
    this.setRange(this.span[0], this.span[1]);
  }

  /** Brings a mark into view (zooming out to it when it is outside) and redraws the selection. */
  reveal(mark: Mark): void {
    const [min, max] = this.current();
    const a = mark.t / 1000;
    const b = (mark.t + mark.d) / 1000;
    if (a < min || b > max) {
      const width = Math.max(max - min, (b - a) * 1.5);
      this.setRange(a - (width - (b - a)) / 2, a - (width - (b - a)) / 2 + width);
    }
    this.redraw();
  }

  redraw(): void {
    for (const c of this.charts) c.plot.redraw(false, false);
  }

  resize(): void {
    for (const c of this.charts) {
      const width = Math.max(320, c.plot.root.parentElement?.clientWidth ?? c.plot.width);
      if (Math.abs(width - c.plot.width) > 2) c.plot.setSize({ width, height: HEIGHT });
    }
  }
}

function tipText(m: Mark, report: Report): string {
  const site = report.frame(m.site);
  const what = m.kind === 'block' ? `block ${m.ongoing ? '≥ ' : ''}${duration(m.d)}` : m.kind;
  return `${what}${site ? ` · ${site.fn} (${site.file}:${site.line})` : ''}`;
}
