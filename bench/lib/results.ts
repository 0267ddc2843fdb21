import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Spread, significant } from './stats.ts';

/**
 * One row of the results: Benchtop's figure, the anchors' figures from the same run, ours ÷
 * anchor for each, and whether the issue's target is met. A figure that could not be measured
 * is null (never invented) and `notes` says why; a target that depends on it is then neither
 * met nor missed (`met: null`).
 */
const SpreadSchema = Type.Object({
  n: Type.Integer({ minimum: 1 }),
  median: Type.Number(),
  min: Type.Number(),
  max: Type.Number(),
  p25: Type.Number(),
  p75: Type.Number(),
});

const Figure = Type.Union([Type.Number(), Type.Null()]);

export const BenchResultSchema = Type.Object({
  benchmark: Type.String({ minLength: 1 }),
  metric: Type.String({ minLength: 1 }),
  unit: Type.String(),
  ours: Figure,
  anchors: Type.Record(Type.String(), Figure),
  ratios: Type.Record(Type.String(), Figure),
  target: Type.Union([Type.String(), Type.Null()]),
  met: Type.Union([Type.Boolean(), Type.Null()]),
  /** Spread over the rounds (or windows) behind each median. */
  spread: Type.Optional(
    Type.Object({
      ours: Type.Optional(SpreadSchema),
      anchors: Type.Optional(Type.Record(Type.String(), SpreadSchema)),
    }),
  ),
  notes: Type.Optional(Type.Array(Type.String())),
});
export type BenchResult = Static<typeof BenchResultSchema>;

export const ResultsFileSchema = Type.Object({
  machine: Type.Record(Type.String(), Type.Unknown()),
  versions: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
  results: Type.Array(BenchResultSchema),
});
export type ResultsFile = Static<typeof ResultsFileSchema>;

/** Problems with a results file's shape, as `path: message`; empty when it is valid. */
export function resultsFileProblems(value: unknown): string[] {
  return [...Value.Errors(ResultsFileSchema, value)].map((e) => `${e.path || '/'}: ${e.message}`);
}

/**
 * What the issue asks of a figure: ours ≥ value, ours < value, ours ≤ value, ours ≥ ratio × the
 * named anchor (a rate), or ours ≤ ratio × the named anchor (a duration).
 */
export type Target =
  | { kind: 'at-least'; value: number }
  | { kind: 'below'; value: number }
  | { kind: 'at-most'; value: number }
  | { kind: 'ratio-at-least'; anchor: string; ratio: number }
  | { kind: 'ratio-at-most'; anchor: string; ratio: number };

/**
 * A measured figure: the median and spread of several rounds; one number; one number with the
 * spread of the windows it was measured in (e.g. the p99 of a whole run and the p99s of its
 * 10 s windows); or missing, with the reason.
 */
export type Measured = Spread | number | { value: number; spread: Spread } | { missing: string };

export interface ResultInput {
  benchmark: string;
  metric: string;
  unit: string;
  ours: Measured;
  anchors?: Record<string, Measured>;
  targets?: Target[];
  /** Why the targets cannot be judged from this measurement (e.g. the load fell short of the spec). */
  unjudged?: string;
  notes?: string[];
}

function isMissing(m: Measured): m is { missing: string } {
  return typeof m === 'object' && 'missing' in m;
}

function figureOf(m: Measured): number | null {
  if (isMissing(m)) return null;
  if (typeof m === 'number') return significant(m);
  return significant('value' in m ? m.value : m.median);
}

function spreadOf(m: Measured): Spread | null {
  if (typeof m === 'number' || isMissing(m)) return null;
  return roundSpread('spread' in m ? m.spread : m);
}

function roundSpread(s: Spread): Spread {
  return {
    n: s.n,
    median: significant(s.median),
    min: significant(s.min),
    max: significant(s.max),
    p25: significant(s.p25),
    p75: significant(s.p75),
  };
}

export function describeTarget(target: Target, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  const n = (value: number) => value.toLocaleString('en-US');
  switch (target.kind) {
    case 'at-least':
      return `≥ ${n(target.value)}${u}`;
    case 'below':
      return `< ${n(target.value)}${u}`;
    case 'at-most':
      return `≤ ${n(target.value)}${u}`;
    case 'ratio-at-least':
      return `≥ ${target.ratio}× ${target.anchor}`;
    case 'ratio-at-most':
      return `≤ ${target.ratio}× ${target.anchor}`;
  }
}

/** Whether one target holds; null when a figure it needs is missing. */
export function targetMet(target: Target, ours: number | null, anchors: Record<string, number | null>) {
  if (ours === null) return null;
  switch (target.kind) {
    case 'at-least':
      return ours >= target.value;
    case 'below':
      return ours < target.value;
    case 'at-most':
      return ours <= target.value;
    case 'ratio-at-least':
    case 'ratio-at-most': {
      const anchor = anchors[target.anchor];
      if (anchor === null || anchor === undefined || anchor === 0) return null;
      return target.kind === 'ratio-at-least' ? ours / anchor >= target.ratio : ours / anchor <= target.ratio;
    }
  }
}

export function makeResult(input: ResultInput): BenchResult {
  const notes = [...(input.notes ?? [])];
  const ours = figureOf(input.ours);
  if (isMissing(input.ours)) notes.push(`ours not measured: ${input.ours.missing}`);
  const anchors: Record<string, number | null> = {};
  const ratios: Record<string, number | null> = {};
  const anchorSpreads: Record<string, Spread> = {};
  for (const [name, measured] of Object.entries(input.anchors ?? {})) {
    const value = figureOf(measured);
    anchors[name] = value;
    if (isMissing(measured)) notes.push(`anchor ${name} missing: ${measured.missing}`);
    const s = spreadOf(measured);
    if (s) anchorSpreads[name] = s;
    ratios[name] = value === null || ours === null || value === 0 ? null : significant(ours / value, 3);
  }
  const targets = input.targets ?? [];
  const verdicts = targets.map((t) => targetMet(t, ours, anchors));
  let met =
    targets.length === 0 ? null : verdicts.includes(false) ? false : verdicts.includes(null) ? null : true;
  if (input.unjudged !== undefined && targets.length > 0) {
    met = null;
    notes.push(`target not judged: ${input.unjudged}`);
  }
  const spreads: NonNullable<BenchResult['spread']> = {};
  const oursSpread = spreadOf(input.ours);
  if (oursSpread) spreads.ours = oursSpread;
  if (Object.keys(anchorSpreads).length > 0) spreads.anchors = anchorSpreads;
  return {
    benchmark: input.benchmark,
    metric: input.metric,
    unit: input.unit,
    ours,
    anchors,
    ratios,
    target: targets.length === 0 ? null : targets.map((t) => describeTarget(t, input.unit)).join(' and '),
    met,
    ...(Object.keys(spreads).length > 0 ? { spread: spreads } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
