import type { TObject } from '@sinclair/typebox';
import type { PlanGenerator } from './messages.ts';

/** One problem with a plan request, with where it is (a JSON pointer into the arguments). */
export interface ArgProblem {
  path: string;
  message: string;
}

/**
 * What a request would cost, worked out from its arguments alone (no points are built), so the
 * registry can refuse a run too large before it is queued. `path` names the argument to blame.
 */
export interface PlanSize {
  points: { count: number; path: string };
  /** The least the run can take (settle times, delays, exposures, durations); 0 when unknown. */
  duration: { seconds: number; path: string };
}

/**
 * A built-in plan: its argument schema, the checks the schema cannot state, and the
 * generator. `args` is already validated and has its defaults filled when `plan` is called.
 */
export interface PlanDefinition<A = never> {
  name: string;
  description: string;
  args: TObject;
  /** Checks across arguments (e.g. `frames` or `duration_s`, not both). */
  check?(args: A): ArgProblem[];
  /** The run's size, checked against `[engine] max_points` and `max_duration_s` at submit. */
  size?(args: A): PlanSize;
  /** Instruments the run uses that its arguments do not name as devices (a recipe's PLC). */
  instruments?(args: A): string[];
  /**
   * `fail`: losing one of its instruments ends the run at once as a failure, whatever
   * `[engine] on_instrument_unavailable` says (a recipe cannot re-do half a valve pulse).
   */
  onInstrumentUnavailable?: 'fail';
  /** Where a stop that does not say ends the run: `boundary` (a recipe stops at the end of its cycle). */
  stopAt?: 'now' | 'boundary';
  /** Must generate its points lazily: a plan's size is bounded only by the limits above. */
  plan(args: A): PlanGenerator;
}
