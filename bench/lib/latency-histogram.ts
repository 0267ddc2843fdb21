/**
 * Counts latencies in fixed 0.1 ms bins up to 10 s (one overflow bin beyond), so a load
 * generator can record millions of samples in constant memory and several generators' counts
 * can be added together before percentiles are taken. A percentile is reported as the upper
 * edge of its bin (never optimistic by more than 0.1 ms); min and max are exact.
 */
export class LatencyHistogram {
  static readonly binMs = 0.1;
  static readonly bins = 100_000;
  private readonly counts = new Float64Array(LatencyHistogram.bins + 1);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private sum = 0;

  record(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`latency must be a finite number of ms; got ${ms}`);
    const value = Math.max(0, ms);
    const bin = Math.min(LatencyHistogram.bins, Math.floor(value / LatencyHistogram.binMs));
    this.counts[bin]! += 1;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /** Upper edge (ms) of the bin holding the p-th percentile; the exact max beyond the last bin. */
  percentile(p: number): number {
    if (this.count === 0) throw new RangeError('percentile of an empty histogram');
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0–100; got ${p}`);
    const wanted = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let bin = 0; bin < this.counts.length; bin++) {
      seen += this.counts[bin]!;
      if (seen >= wanted) {
        if (bin === LatencyHistogram.bins) return this.max;
        return Math.min(this.max, (bin + 1) * LatencyHistogram.binMs);
      }
    }
    return this.max;
  }

  /** Adds another histogram's counts to this one. */
  merge(other: LatencyHistogram): this {
    for (let bin = 0; bin < this.counts.length; bin++) this.counts[bin]! += other.counts[bin]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    return this;
  }

  /** Sparse form for sending between processes: only the bins that hold samples. */
  toJSON(): HistogramJson {
    const bins: [number, number][] = [];
    for (let bin = 0; bin < this.counts.length; bin++) {
      if (this.counts[bin]! > 0) bins.push([bin, this.counts[bin]!]);
    }
    return { count: this.count, sum: this.sum, min: this.min, max: this.max, bins };
  }

  static fromJSON(json: HistogramJson): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [bin, n] of json.bins) {
      if (!Number.isInteger(bin) || bin < 0 || bin > LatencyHistogram.bins) {
        throw new RangeError(`histogram bin ${bin} is outside 0–${LatencyHistogram.bins}`);
      }
      h.counts[bin]! += n;
    }
    h.count = json.count;
    h.sum = json.sum;
    h.min = json.count === 0 ? Number.POSITIVE_INFINITY : json.min;
    h.max = json.count === 0 ? Number.NEGATIVE_INFINITY : json.max;
    return h;
  }
}

export interface HistogramJson {
  count: number;
  sum: number;
  min: number;
  max: number;
  bins: [number, number][];
}
