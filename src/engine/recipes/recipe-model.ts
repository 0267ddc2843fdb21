import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseToml } from 'smol-toml';
import { BenchtopError } from '../../core/errors.ts';
import type { ArgProblem } from '../plan-definition.ts';

/**
 * A process recipe: valve pulses, purges, setpoints, waits and (nested) loops, with the
 * conditions that must hold before it starts. Recipes name valves, gases and parameters, never
 * PLC points: `[process]` in the configuration maps those names to signals.
 */

const Ms = (description: string) => Type.Integer({ minimum: 0, description, 'x-unit': 'ms' });

export const ValveStep = Type.Object(
  {
    type: Type.Literal('valve'),
    name: Type.Optional(Type.String()),
    valve: Type.String({ minLength: 1, description: 'A [process.valves] name, e.g. TMA' }),
    duration_ms: Ms('How long the valve stays open (from when it confirms open)'),
  },
  { additionalProperties: false },
);
export const PurgeStep = Type.Object(
  {
    type: Type.Literal('purge'),
    name: Type.Optional(Type.String()),
    duration_ms: Ms('Purge time'),
    gas: Type.Optional(
      Type.String({ description: 'A [process.gases] name; default [process] default_purge_gas' }),
    ),
    flow_sccm: Type.Optional(Type.Number({ minimum: 0, 'x-unit': 'sccm' })),
  },
  { additionalProperties: false },
);
export const SetStep = Type.Object(
  {
    type: Type.Literal('set'),
    name: Type.Optional(Type.String()),
    signal: Type.String({ minLength: 1, description: 'A [process.parameters] name or instrument.signal' }),
    value: Type.Union([Type.Number(), Type.Boolean()]),
    hold_ms: Type.Optional(Ms('Wait after the value is reached')),
    ramp_rate: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Units per second, in 1 s steps from the present value',
      }),
    ),
  },
  { additionalProperties: false },
);
export const WaitStep = Type.Object(
  {
    type: Type.Literal('wait'),
    name: Type.Optional(Type.String()),
    until: Type.String({
      minLength: 1,
      description: 'A condition "SIGNAL OP VALUE" (OP: < <= > >= == !=), e.g. "chamber_temperature >= 195"',
    }),
    timeout_s: Type.Number({ exclusiveMinimum: 0 }),
  },
  { additionalProperties: false },
);

export type ValveStep = Static<typeof ValveStep>;
export type PurgeStep = Static<typeof PurgeStep>;
export type SetStep = Static<typeof SetStep>;
export type WaitStep = Static<typeof WaitStep>;
export interface LoopStep {
  type: 'loop';
  name?: string;
  count: number;
  steps: RecipeStep[];
}
export type RecipeStep = ValveStep | PurgeStep | SetStep | WaitStep | LoopStep;

/** A loop with its steps unchecked: each is checked against the schema its own `type` names. */
const LoopShape = Type.Object(
  {
    type: Type.Literal('loop'),
    name: Type.Optional(Type.String()),
    count: Type.Integer({ minimum: 1, description: 'Iterations' }),
    steps: Type.Array(Type.Unknown(), { minItems: 1, description: 'Steps; loops nest' }),
  },
  { additionalProperties: false },
);

const STEP_SCHEMAS = { valve: ValveStep, purge: PurgeStep, set: SetStep, wait: WaitStep, loop: LoopShape };

export const Precondition = Type.Object(
  {
    signal: Type.String({ minLength: 1, description: 'A [process.parameters] name or instrument.signal' }),
    description: Type.Optional(Type.String()),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    equals: Type.Optional(Type.Union([Type.Number(), Type.Boolean(), Type.String()])),
  },
  { additionalProperties: false },
);
export type Precondition = Static<typeof Precondition>;

/** The recipe's own fields; its steps are checked one by one (`recipeStructureProblems`). */
export const RecipeSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description: 'The recipe is stored under this name',
    }),
    description: Type.Optional(Type.String()),
    growth_per_cycle_nm: Type.Number({ minimum: 0, default: 0, description: 'For the thickness estimate' }),
    preconditions: Type.Array(Precondition, { default: [] }),
    steps: Type.Array(Type.Unknown(), { minItems: 1, description: 'valve, purge, set, wait or loop steps' }),
  },
  { additionalProperties: false },
);
export interface Recipe {
  name: string;
  description?: string;
  growth_per_cycle_nm: number;
  preconditions: Precondition[];
  steps: RecipeStep[];
}

/** Parses a recipe file's text (TOML, or JSON when it starts with `{`); structure only. */
export function parseRecipeText(text: string, format: 'toml' | 'json' | 'auto' = 'auto'): unknown {
  const json = format === 'json' || (format === 'auto' && text.trimStart().startsWith('{'));
  try {
    return json ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `the recipe is not valid ${json ? 'JSON' : 'TOML'}: ${(error as Error).message}`,
      { problems: [{ path: '', message: (error as Error).message }] },
    );
  }
}

/**
 * Checks a parsed recipe against the schema; every problem with its JSON pointer. Each step is
 * checked against the schema of the `type` it names, so a problem is reported where it is
 * (`/steps/1/steps/0/duration_ms`), not as a step that matches none of the kinds.
 */
export function recipeStructureProblems(value: unknown): { recipe: Recipe | null; problems: ArgProblem[] } {
  const withDefaults = Value.Default(RecipeSchema, structuredClone(value));
  const problems = schemaProblems(RecipeSchema, withDefaults, '');
  const steps = (withDefaults as { steps?: unknown } | null)?.steps;
  if (Array.isArray(steps)) problems.push(...stepsProblems(steps, '/steps'));
  return problems.length === 0
    ? { recipe: withDefaults as Recipe, problems }
    : { recipe: null, problems: firstPerPath(problems) };
}

function stepsProblems(steps: unknown[], path: string): ArgProblem[] {
  const problems: ArgProblem[] = [];
  for (const [i, step] of steps.entries()) {
    const at = `${path}/${i}`;
    const type = (step as { type?: unknown } | null)?.type;
    const schema =
      typeof type === 'string' && Object.hasOwn(STEP_SCHEMAS, type)
        ? STEP_SCHEMAS[type as keyof typeof STEP_SCHEMAS]
        : undefined;
    const kinds = Object.keys(STEP_SCHEMAS).join(', ');
    if (typeof step !== 'object' || step === null || Array.isArray(step)) {
      problems.push({ path: at, message: `a step is a table with a type; got ${JSON.stringify(step)}` });
    } else if (!schema) {
      problems.push({
        path: `${at}/type`,
        message:
          type === undefined
            ? `a step needs a type (${kinds})`
            : `must be one of ${kinds}; got ${JSON.stringify(type)}`,
      });
    } else {
      problems.push(...schemaProblems(schema, step, at));
      const inner = (step as { steps?: unknown }).steps;
      if (type === 'loop' && Array.isArray(inner)) problems.push(...stepsProblems(inner, `${at}/steps`));
    }
  }
  return problems;
}

function schemaProblems(schema: TSchema, value: unknown, path: string): ArgProblem[] {
  return [...Value.Errors(schema, value)].map((error) => ({
    path: `${path}${error.path}`,
    message:
      error.value === undefined ? error.message : `${error.message}; got ${JSON.stringify(error.value)}`,
  }));
}

/** A missing property is also "expected a string": the first problem at a path says it best. */
function firstPerPath(problems: ArgProblem[]): ArgProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    if (seen.has(p.path)) return false;
    seen.add(p.path);
    return true;
  });
}

/** Steps the recipe runs (loops multiplied out, loop nodes themselves not counted). */
export function countSteps(steps: RecipeStep[]): number {
  let n = 0;
  for (const step of steps) n += step.type === 'loop' ? step.count * countSteps(step.steps) : 1;
  return n;
}

/** Cycles: iterations of the recipe's top-level loops (a recipe without loops is one cycle). */
export function countCycles(steps: RecipeStep[]): number {
  const loops = steps.filter((s): s is LoopStep => s.type === 'loop');
  return loops.length === 0 ? 1 : loops.reduce((sum, l) => sum + l.count, 0);
}

/** Every step, loops included, depth first (for checks that look at each one). */
export function* everyStep(steps: RecipeStep[], path = '/steps'): Generator<[RecipeStep, string]> {
  for (const [i, step] of steps.entries()) {
    yield [step, `${path}/${i}`];
    if (step.type === 'loop') yield* everyStep(step.steps, `${path}/${i}/steps`);
  }
}
