import { type DisplayGeometry, type FieldExtent, fieldExtent } from './display-geometry.ts';

/**
 * The drifting-bar protocol as a frame-by-frame schedule at the display's refresh rate. Pure
 * (no imports beyond the geometry): the server shows it before a run and checks the reported
 * frames against it, the presentation page draws from it, the simulated cortex reads the bar
 * position from it.
 *
 * Sequence: initial baseline; per direction `cycles` × [sweep, gap] with no gap after the last
 * sweep; a baseline between directions; a final baseline. Baselines and gaps show the
 * background. A sweep covers S…E = [field min − bar width, field max + bar width] (±(FOV/2 + w)
 * for a centred eye) in n = round((E − S)/v · refresh) frames; frame k shows the bar at
 * S + (E − S)(k + ½)/n (the middle of its display interval), so RL and BT are exactly the
 * reversed frame lists of LR and TB and the speed is (E − S)·refresh/n ≈ v.
 */

export const Directions = ['LR', 'RL', 'TB', 'BT'] as const;
export type Direction = (typeof Directions)[number];

export type Phase = 'baseline' | 'sweep' | 'gap';

export interface StimulusProtocol {
  geometry: DisplayGeometry;
  refreshHz: number;
  barWidthDeg: number;
  checkerSizeDeg: number;
  /** Polarity reversals of the checkerboard per second (KimLabISI's "6 Hz" = 6 reversals/s). */
  flickerHz: number;
  contrast: number;
  background: number;
  speedDegPerS: number;
  directions: readonly Direction[];
  cyclesPerDirection: number;
  baselineS: number;
  gapS: number;
  /** The camera's frame rate, used only to refuse sweeps shorter than two camera frames. */
  cameraFps: number;
}

export interface DirectionSchedule {
  direction: Direction;
  coordinate: 'azimuth' | 'altitude';
  /** Bar position at the start and end of a sweep, degrees. */
  fromDeg: number;
  toDeg: number;
  sweepFrames: number;
  sweepS: number;
  /** Sweep plus gap: the period of the response at each pixel. */
  periodS: number;
  /** 1 / period: the frequency the analysis looks at. */
  frequencyHz: number;
  /** The speed the frames actually give, (E − S)·refresh / n. */
  speedDegPerS: number;
}

export interface Segment {
  phase: Phase;
  /** The direction of the sweep this belongs to (a gap: the sweep before it); null for a baseline. */
  direction: Direction | null;
  /** Sweep number within the direction, from 0; null for a baseline. */
  sweep: number | null;
  startFrame: number;
  frames: number;
}

export interface ProtocolSchedule {
  refreshHz: number;
  field: FieldExtent;
  directions: DirectionSchedule[];
  segments: Segment[];
  frameCount: number;
  totalS: number;
}

/** What one display frame shows. */
export interface ScheduledFrame {
  index: number;
  direction: Direction | null;
  sweep: number | null;
  phase: Phase;
  /** Bar centre in degrees of its coordinate; null when the background is shown. */
  barDeg: number | null;
}

const coordinateOf = (d: Direction): 'azimuth' | 'altitude' =>
  d === 'LR' || d === 'RL' ? 'azimuth' : 'altitude';

/**
 * What is wrong with a protocol, one sentence each (empty when it can run). Numbers the schema
 * cannot relate to each other: the bar against the field, the sweep against the camera.
 */
export function protocolProblems(p: StimulusProtocol): string[] {
  const problems: string[] = [];
  const field = fieldExtent(p.geometry);
  const used = new Set(p.directions.map(coordinateOf));
  for (const coordinate of used) {
    const { min, max } = field[coordinate];
    if (p.barWidthDeg > max - min)
      problems.push(
        `the bar (${p.barWidthDeg}°) is wider than the field's ${coordinate} (${(max - min).toFixed(1)}°)`,
      );
  }
  if (p.directions.length === 0) problems.push('no directions to sweep');
  if (new Set(p.directions).size !== p.directions.length) problems.push('a direction is listed twice');
  for (const d of directionSchedules(p, field)) {
    if (d.sweepS < 2 / p.cameraFps)
      problems.push(
        `a ${d.direction} sweep at ${p.speedDegPerS}°/s lasts ${(d.sweepS * 1000).toFixed(1)} ms, shorter than two camera frames at ${p.cameraFps} fps (${((2 / p.cameraFps) * 1000).toFixed(1)} ms)`,
      );
    else if (d.sweepFrames < 2)
      problems.push(`a ${d.direction} sweep at ${p.speedDegPerS}°/s is shorter than two display frames`);
  }
  return problems;
}

function directionSchedules(p: StimulusProtocol, field: FieldExtent): DirectionSchedule[] {
  return p.directions.map((direction) => {
    const coordinate = coordinateOf(direction);
    const start = field[coordinate].min - p.barWidthDeg;
    const end = field[coordinate].max + p.barWidthDeg;
    // LR and BT sweep increasing azimuth/altitude; RL and TB come back.
    const increasing = direction === 'LR' || direction === 'BT';
    const sweepFrames = Math.max(1, Math.round(((end - start) / p.speedDegPerS) * p.refreshHz));
    const sweepS = sweepFrames / p.refreshHz;
    const periodS = sweepS + Math.round(p.gapS * p.refreshHz) / p.refreshHz;
    return {
      direction,
      coordinate,
      fromDeg: increasing ? start : end,
      toDeg: increasing ? end : start,
      sweepFrames,
      sweepS,
      periodS,
      frequencyHz: 1 / periodS,
      speedDegPerS: (end - start) / sweepS,
    };
  });
}

/** The whole protocol's schedule (call `protocolProblems` first: this does not refuse). */
export function computeSchedule(p: StimulusProtocol): ProtocolSchedule {
  const field = fieldExtent(p.geometry);
  const directions = directionSchedules(p, field);
  const baselineFrames = Math.round(p.baselineS * p.refreshHz);
  const gapFrames = Math.round(p.gapS * p.refreshHz);
  const segments: Segment[] = [];
  let frame = 0;
  const add = (phase: Phase, direction: Direction | null, sweep: number | null, frames: number) => {
    if (frames <= 0) return;
    segments.push({ phase, direction, sweep, startFrame: frame, frames });
    frame += frames;
  };
  add('baseline', null, null, baselineFrames);
  directions.forEach((d, i) => {
    for (let sweep = 0; sweep < p.cyclesPerDirection; sweep++) {
      add('sweep', d.direction, sweep, d.sweepFrames);
      if (sweep < p.cyclesPerDirection - 1) add('gap', d.direction, sweep, gapFrames);
    }
    if (i < directions.length - 1) add('baseline', null, null, baselineFrames);
  });
  add('baseline', null, null, baselineFrames);
  return {
    refreshHz: p.refreshHz,
    field,
    directions,
    segments,
    frameCount: frame,
    totalS: frame / p.refreshHz,
  };
}

/** The segment holding frame `index` (binary search: segments are in frame order). */
export function segmentAt(schedule: ProtocolSchedule, index: number): Segment | null {
  const { segments } = schedule;
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    if (index < s.startFrame) hi = mid - 1;
    else if (index >= s.startFrame + s.frames) lo = mid + 1;
    else return s;
  }
  return null;
}

/** What frame `index` shows; null past the end. */
export function frameAt(schedule: ProtocolSchedule, index: number): ScheduledFrame | null {
  const segment = segmentAt(schedule, index);
  if (!segment) return null;
  const { phase, direction, sweep } = segment;
  let barDeg: number | null = null;
  if (phase === 'sweep' && direction) {
    const d = schedule.directions.find((s) => s.direction === direction)!;
    const k = index - segment.startFrame;
    barDeg = d.fromDeg + ((d.toDeg - d.fromDeg) * (k + 0.5)) / d.sweepFrames;
  }
  return { index, direction, sweep, phase, barDeg };
}

/**
 * The bar at protocol time `t` seconds after frame 0 was presented (the frame on screen then),
 * for consumers that work in time rather than frames, e.g. the simulated cortex.
 */
export function frameAtTime(schedule: ProtocolSchedule, tS: number): ScheduledFrame | null {
  if (tS < 0) return null;
  return frameAt(schedule, Math.floor(tS * schedule.refreshHz));
}

/** Checkerboard polarity (0 or 1) at protocol time t: it reverses `flickerHz` times a second. */
export function checkerPolarity(p: StimulusProtocol, tS: number): number {
  return p.flickerHz > 0 ? Math.floor(tS * p.flickerHz) % 2 : 0;
}

/**
 * Luminance (0…1) of the point (azimuth, altitude) while the frame shows the bar at `barDeg`
 * along `coordinate`: inside the bar bg ± contrast by checker (floor, not truncation, so the
 * check at 0 is not doubled) and polarity; the background elsewhere.
 */
export function luminanceAt(
  p: StimulusProtocol,
  coordinate: 'azimuth' | 'altitude' | null,
  barDeg: number | null,
  azimuthDeg: number,
  altitudeDeg: number,
  polarity: number,
): number {
  if (coordinate === null || barDeg === null) return p.background;
  const c = coordinate === 'azimuth' ? azimuthDeg : altitudeDeg;
  if (Math.abs(c - barDeg) > p.barWidthDeg / 2) return p.background;
  const check =
    (((Math.floor(azimuthDeg / p.checkerSizeDeg) + Math.floor(altitudeDeg / p.checkerSizeDeg)) % 2) +
      2 +
      polarity) %
    2;
  const value = p.background + (check === 0 ? p.contrast : -p.contrast);
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

export { coordinateOf };
