/**
 * Presentation latency from a photodiode on the stimulus monitor's corner patch. The page draws
 * the patch dark while idle and flips it every presented frame (frame i bright when i is odd),
 * and reports each frame's presentation time; the photodiode's signal shows when the light really
 * changed. Latency = the signal's transition − the reported time of the flip that caused it.
 *
 * The signal must be sampled faster than the flips (at least twice per frame) for its
 * transitions to be seen. Each transition lies between two samples; its time is their midpoint.
 * A flip every frame repeats with a period of two frames, so which flip caused a transition is
 * settled by the first: the run's first dark→bright transition is frame 1's. Every later
 * transition is matched to the flip of the same sense nearest to it minus that first latency,
 * and the median of all is the estimate (the spread says how well the samples pinned it).
 */

export interface Sample {
  /** ms, server clock. */
  t: number;
  v: number;
}

/** A frame's reported presentation time and the patch level it showed (0 dark, 1 bright). */
export interface Flip {
  t: number;
  level: 0 | 1;
}

export interface LatencyEstimate {
  latencyMs: number;
  /** Transitions matched to flips. */
  transitions: number;
  /** Half the interquartile range of the per-transition latencies, ms. */
  spreadMs: number;
  threshold: number;
}

/** The patch level of frame `index` (frame 0 dark, like the idle page, so frame 1 is the first flip). */
export const patchLevel = (index: number): 0 | 1 => (index % 2) as 0 | 1;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export function estimateLatency(
  samples: readonly Sample[],
  flips: readonly Flip[],
  options: { threshold?: number } = {},
): LatencyEstimate | null {
  // Only the changes of level matter: the frames where the patch flipped.
  const changes: Flip[] = [];
  let level = 0;
  for (const f of flips)
    if (f.level !== level) {
      changes.push(f);
      level = f.level;
    }
  if (changes.length === 0 || samples.length < 2) return null;
  let threshold = options.threshold;
  if (threshold === undefined) {
    const sorted = samples.map((s) => s.v).sort((a, b) => a - b);
    const lo = quantile(sorted, 0.05);
    const hi = quantile(sorted, 0.95);
    if (!(hi > lo)) return null;
    threshold = (lo + hi) / 2;
  }
  const transitions: Flip[] = [];
  let prev = samples[0]!;
  let prevLevel = prev.v > threshold ? 1 : 0;
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i]!;
    const l = s.v > threshold ? 1 : 0;
    if (l !== prevLevel) transitions.push({ t: (prev.t + s.t) / 2, level: l });
    prev = s;
    prevLevel = l;
  }
  const first = changes[0]!;
  const anchor = transitions.find((tr) => tr.level === 1 && tr.t >= first.t);
  if (!anchor) return null;
  const coarse = anchor.t - first.t;
  const latencies: number[] = [];
  const times = changes.map((c) => c.t);
  for (const tr of transitions) {
    if (tr.t < anchor.t) continue;
    // The flip nearest to when this transition says it happened, of the same sense.
    const target = tr.t - coarse;
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    let best = -1;
    for (const k of [lo - 2, lo - 1, lo, lo + 1])
      if (k >= 0 && k < changes.length && changes[k]!.level === tr.level)
        if (best < 0 || Math.abs(times[k]! - target) < Math.abs(times[best]! - target)) best = k;
    if (best >= 0) latencies.push(tr.t - times[best]!);
  }
  if (latencies.length === 0) return null;
  latencies.sort((a, b) => a - b);
  return {
    latencyMs: quantile(latencies, 0.5),
    transitions: latencies.length,
    spreadMs: (quantile(latencies, 0.75) - quantile(latencies, 0.25)) / 2,
    threshold,
  };
}
