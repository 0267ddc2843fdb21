import type { TObject } from '@sinclair/typebox';
import type { PlanGenerator } from './messages.ts';

/** One problem with a plan request, with where it is (a JSON pointer into the arguments). */
export interface ArgProblem {
  path: string;
  message: string;
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
  plan(args: A): PlanGenerator;
}
