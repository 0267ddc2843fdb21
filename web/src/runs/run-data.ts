import type { DataKey, RunDocument } from '../api/types.ts';
import { GridModel } from '../plots/heat-map.tsx';

type StartDoc = Extract<RunDocument, { name: 'start' }>['doc'];

/** Columns every run has besides its data keys. */
export const SEQ_NUM = 'seq_num';
export const ELAPSED = 'elapsed_s';

/**
 * A run's primary-stream data as columns, filled from documents as they arrive (live over the
 * `runs` channel, or all at once from /runs/{uid}/documents). Observable, so plots redraw
 * without React re-rendering for each event.
 */
export class RunData {
  readonly uid: string;
  start: StartDoc | null = null;
  readonly dataKeys = new Map<string, DataKey>();
  readonly columns = new Map<string, (number | null)[]>();
  private primaryDescriptors = new Set<string>();
  /** Events already added, so a backfill from the catalog can overlap the live stream. */
  private readonly seen = new Set<string>();
  private firstTime: number | null = null;
  events = 0;
  grid: GridModel | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(uid: string) {
    this.uid = uid;
    this.columns.set(SEQ_NUM, []);
    this.columns.set(ELAPSED, []);
  }

  add(document: RunDocument): void {
    if (document.name === 'start') {
      this.start = document.doc;
      this.grid = gridFor(document.doc);
    } else if (document.name === 'descriptor') {
      if (document.doc.name !== 'primary') return;
      this.primaryDescriptors.add(document.doc.uid);
      for (const [key, dk] of Object.entries(document.doc.data_keys)) {
        if (!this.dataKeys.has(key)) {
          this.dataKeys.set(key, dk);
          // A key first seen mid-run has no values for the earlier events.
          this.columns.set(key, new Array(this.events).fill(null));
        }
      }
    } else if (document.name === 'event') {
      if (!this.primaryDescriptors.has(document.doc.descriptor)) return;
      const { doc } = document;
      const id = `${doc.descriptor}:${doc.seq_num}`;
      if (this.seen.has(id)) return;
      this.seen.add(id);
      this.firstTime ??= doc.time;
      this.columns.get(SEQ_NUM)!.push(doc.seq_num);
      this.columns.get(ELAPSED)!.push(doc.time - this.firstTime);
      for (const [key, column] of this.columns) {
        if (key === SEQ_NUM || key === ELAPSED) continue;
        const v = doc.data[key];
        column.push(typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null);
      }
      this.events++;
      this.fillGrid(doc.data);
    } else return;
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get motors(): string[] {
    return (this.start?.motors as string[] | undefined) ?? [];
  }

  /** Keys holding plottable numbers (scalars), motors first. */
  numericKeys(): string[] {
    const scalar = [...this.dataKeys.entries()]
      .filter(
        ([, dk]) =>
          (dk.dtype === 'number' || dk.dtype === 'integer' || dk.dtype === 'boolean') &&
          dk.shape.length === 0 &&
          !dk.external,
      )
      .map(([k]) => k);
    const motors = this.motors.filter((m) => scalar.includes(m));
    return [...motors, ...scalar.filter((k) => !motors.includes(k))];
  }

  detectorKeys(): string[] {
    return this.numericKeys().filter((k) => !this.motors.includes(k));
  }

  /** The natural x axis: the (first) motor of a 1-D scan, else elapsed time. */
  defaultX(): string {
    return this.motors.length === 1 && this.dataKeys.has(this.motors[0]!) ? this.motors[0]! : ELAPSED;
  }

  unitOf(key: string): string | undefined {
    if (key === ELAPSED) return 's';
    return this.dataKeys.get(key)?.units;
  }

  /** x and y columns, sorted by x (uPlot draws lines in x order). */
  series(xKey: string, yKeys: string[]): [number[], ...(number | null)[][]] {
    const xs = this.columns.get(xKey) ?? [];
    const order = xs.map((_x, i) => i).filter((i) => xs[i] !== null);
    order.sort((a, b) => (xs[a] as number) - (xs[b] as number));
    return [
      order.map((i) => xs[i] as number),
      ...yKeys.map((k) => {
        const col = this.columns.get(k) ?? [];
        return order.map((i) => col[i] ?? null);
      }),
    ];
  }

  private fillGrid(data: Record<string, unknown>): void {
    if (!this.grid) return;
    const [outer, inner] = this.motors;
    const detector = this.detectorKeys()[0];
    if (!outer || !inner || !detector) return;
    const x = data[inner];
    const y = data[outer];
    const v = data[detector];
    if (typeof x === 'number' && typeof y === 'number' && typeof v === 'number') this.grid.setAt(x, y, v);
  }
}

interface GridAxis {
  motor: string;
  start: number;
  stop: number;
  num: number;
}

/** A 2-D grid scan (two axes in its arguments) gets a heat map: inner axis across, outer axis up. */
function gridFor(start: StartDoc): GridModel | null {
  const axes = (start.plan_args as { axes?: GridAxis[] } | undefined)?.axes;
  if (!Array.isArray(axes) || axes.length !== 2) return null;
  const [outer, inner] = axes as [GridAxis, GridAxis];
  return new GridModel(inner.num, outer.num, {
    xLabel: inner.motor,
    yLabel: outer.motor,
    xRange: [inner.start, inner.stop],
    yRange: [outer.start, outer.stop],
  });
}
