import type { BenchResult } from './results.ts';

export interface BenchContext {
  /** Short durations for a smoke run; the figures are then indicative only. */
  quick: boolean;
  /** Rounds for benchmarks that alternate ours/anchors (default 5, quick 2). */
  rounds: number;
  /** Extra Node flags for the processes a benchmark measures (`--cpu-prof …` when profiling). */
  nodeArgs(label: string): string[];
  log(message: string): void;
}

/** One benchmark of the issue: a name for the command line and a run that yields result rows. */
export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** `quick` and default values side by side, so every duration is visible where it is used. */
export function pick<T>(ctx: BenchContext, values: { quick: T; full: T }): T {
  return ctx.quick ? values.quick : values.full;
}
