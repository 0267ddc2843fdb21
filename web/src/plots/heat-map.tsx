import { useEffect, useRef } from 'react';
import { formatNumber } from '../live/format.ts';
import { viridis } from './colors.ts';

/**
 * Values on an nx × ny grid, filled as points arrive (a 2-D scan). Mutable and observable so
 * the live scan view can add points without re-rendering React.
 */
export class GridModel {
  readonly nx: number;
  readonly ny: number;
  readonly values: Float64Array;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xRange: [number, number];
  readonly yRange: [number, number];
  private readonly listeners = new Set<() => void>();

  constructor(
    nx: number,
    ny: number,
    axes: { xLabel: string; yLabel: string; xRange: [number, number]; yRange: [number, number] },
  ) {
    this.nx = nx;
    this.ny = ny;
    this.xLabel = axes.xLabel;
    this.yLabel = axes.yLabel;
    this.xRange = axes.xRange;
    this.yRange = axes.yRange;
    this.values = new Float64Array(nx * ny).fill(Number.NaN);
  }

  /** Sets the cell nearest to a point in axis units. */
  setAt(x: number, y: number, value: number): void {
    const ix = nearest(x, this.xRange, this.nx);
    const iy = nearest(y, this.yRange, this.ny);
    this.values[iy * this.nx + ix] = value;
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  range(): [number, number] | null {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of this.values) {
      if (Number.isNaN(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return lo <= hi ? [lo, hi] : null;
  }

  filled(): number {
    let n = 0;
    for (const v of this.values) if (!Number.isNaN(v)) n++;
    return n;
  }
}

function nearest(v: number, [start, stop]: [number, number], n: number): number {
  if (n <= 1 || start === stop) return 0;
  const i = Math.round(((v - start) / (stop - start)) * (n - 1));
  return Math.min(n - 1, Math.max(0, i));
}

/** A heat map of a GridModel with axes labels and a colour bar; redrawn once per frame when points arrive. */
export function HeatMap(props: { model: GridModel; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const legend = useRef<HTMLSpanElement>(null);
  const { model } = props;

  useEffect(() => {
    let frame = 0;
    const draw = () => {
      frame = 0;
      const c = canvas.current;
      const ctx = c?.getContext('2d');
      if (!c || !ctx) return;
      const width = c.width;
      const height = c.height;
      ctx.clearRect(0, 0, width, height);
      const range = model.range();
      const cw = width / model.nx;
      const ch = height / model.ny;
      for (let iy = 0; iy < model.ny; iy++) {
        for (let ix = 0; ix < model.nx; ix++) {
          const v = model.values[iy * model.nx + ix]!;
          if (Number.isNaN(v) || !range) {
            ctx.fillStyle = '#e5e7eb';
          } else {
            const t = range[1] === range[0] ? 0.5 : (v - range[0]) / (range[1] - range[0]);
            const [r, g, b] = viridis(t);
            ctx.fillStyle = `rgb(${r | 0},${g | 0},${b | 0})`;
          }
          // Row 0 (the first y position) at the bottom, as on a plot.
          ctx.fillRect(ix * cw, height - (iy + 1) * ch, Math.ceil(cw), Math.ceil(ch));
        }
      }
      if (legend.current)
        legend.current.textContent = range
          ? `${formatNumber(range[0])} … ${formatNumber(range[1])} (${model.filled()} of ${model.nx * model.ny} points)`
          : 'no points yet';
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    schedule();
    const off = model.onChange(schedule);
    return () => {
      off();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [model]);

  return (
    <figure className="heat-map" aria-label={props.label}>
      <div className="heat-map-body">
        <span className="axis-y">
          {model.yLabel}: {formatNumber(model.yRange[0])} … {formatNumber(model.yRange[1])}
        </span>
        <canvas ref={canvas} width={480} height={360} />
      </div>
      <figcaption>
        <span className="axis-x">
          {model.xLabel}: {formatNumber(model.xRange[0])} … {formatNumber(model.xRange[1])}
        </span>
        <span className="colorbar" aria-hidden="true" />
        <span ref={legend} />
      </figcaption>
    </figure>
  );
}
