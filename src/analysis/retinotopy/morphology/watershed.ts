import type { Grid } from './image.ts';

/**
 * Marker-based watershed by priority flooding (as skimage.segmentation.watershed): pixels are
 * taken lowest value first, ties in the order they were queued, and each unlabelled neighbour
 * (8-connected) inside the mask takes the label of the pixel that reached it.
 */
export function watershed(
  values: Float64Array,
  markers: Int32Array,
  mask: Uint8Array,
  { width, height }: Grid,
): Int32Array {
  const labels = Int32Array.from(markers, (m, i) => (mask[i] ? m : 0));
  const heap = new MinHeap();
  let age = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) heap.push(values[i] as number, age++, i);
  while (heap.size > 0) {
    const i = heap.pop();
    const r = Math.floor(i / width);
    const c = i - r * width;
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const rr = r + dr;
        const cc = c + dc;
        if ((dr === 0 && dc === 0) || rr < 0 || rr >= height || cc < 0 || cc >= width) continue;
        const j = rr * width + cc;
        if (!mask[j] || labels[j]) continue;
        labels[j] = labels[i] as number;
        heap.push(values[j] as number, age++, j);
      }
    }
  }
  return labels;
}

class MinHeap {
  private readonly keys: number[] = [];
  private readonly ages: number[] = [];
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  private less(a: number, b: number): boolean {
    const ka = this.keys[a] as number;
    const kb = this.keys[b] as number;
    return ka < kb || (ka === kb && (this.ages[a] as number) < (this.ages[b] as number));
  }

  private swap(a: number, b: number): void {
    for (const arr of [this.keys, this.ages, this.items]) {
      const t = arr[a] as number;
      arr[a] = arr[b] as number;
      arr[b] = t;
    }
  }

  push(key: number, age: number, item: number): void {
    this.keys.push(Number.isNaN(key) ? Number.POSITIVE_INFINITY : key);
    this.ages.push(age);
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): number {
    const top = this.items[0] as number;
    const last = this.items.length - 1;
    this.swap(0, last);
    this.keys.pop();
    this.ages.pop();
    this.items.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(l, m)) m = l;
      if (r < this.items.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}
