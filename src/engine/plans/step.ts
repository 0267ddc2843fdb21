import { checkpoint, type PlanGenerator, set, sleep, triggerAndRead } from '../messages.ts';

/**
 * One point of a scan: a checkpoint (where a pause takes effect and a suspended run restarts
 * the point), the moves (each waits until the motor is there), the settle time, then one
 * event with the detectors and the motors' readbacks.
 */
export function* movePoint(
  moves: [motor: string, position: number][],
  detectors: string[],
  motors: string[],
  settleS: number,
): PlanGenerator {
  yield checkpoint();
  for (const [motor, position] of moves) yield set(motor, position);
  if (settleS > 0) yield sleep(settleS);
  yield triggerAndRead(unique([...detectors, ...motors]));
}

/** `num` evenly spaced points from `start` to `stop`, both included; one point is `start`. */
export function linspace(start: number, stop: number, num: number): number[] {
  return Array.from({ length: num }, (_, i) => linspaceAt(start, stop, num, i));
}

/** Point `i` of `linspace(start, stop, num)`, computed alone so plans never hold every point. */
export function linspaceAt(start: number, stop: number, num: number, i: number): number {
  if (num === 1) return start;
  // The last point is `stop` exactly, not start + (num-1)*step with its rounding error.
  return i === num - 1 ? stop : start + i * ((stop - start) / (num - 1));
}

export function unique(names: string[]): string[] {
  return [...new Set(names)];
}
