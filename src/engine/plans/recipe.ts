import { type Static, Type } from '@sinclair/typebox';
import type { ProcessConfig } from '../../config/schema.ts';
import type { SignalValue } from '../../core/device.ts';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { parseCondition } from '../conditions.ts';
import type { DeviceCatalog } from '../device-catalog.ts';
import {
  checkpoint,
  closeRun,
  type Msg,
  openRun,
  type PlanGenerator,
  type ReadResult,
  type ReadUntilResult,
  set,
  sleep,
  triggerAndRead,
} from '../messages.ts';
import type { ArgProblem, PlanDefinition, PlanSize } from '../plan-definition.ts';
import { ProcessMap, recipeProblems } from '../recipes/recipe-check.ts';
import {
  countCycles,
  countSteps,
  type Precondition,
  type Recipe,
  type RecipeStep,
} from '../recipes/recipe-model.ts';

/** One stored version of a recipe. */
export interface StoredRecipe {
  name: string;
  version: number;
  /** sha256 of the recipe as stored. */
  hash: string;
  recipe: Recipe;
}

/** Where the plan finds recipes by name (the recipe store). */
export interface RecipeSource {
  /** The given version, or the latest; throws RECIPE_NOT_FOUND. */
  get(name: string, version?: number): StoredRecipe;
}

export const RecipeArgs = Type.Object(
  {
    recipe: Type.String({ minLength: 1, description: 'Stored recipe name' }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the latest' })),
    time_scale: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: 'Purges, holds and ramps take this fraction of their time; default [process] time_scale',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RecipeArgs = Static<typeof RecipeArgs>;

/** How often a valve's feedback is read while it has to confirm, and a wait's condition. */
const FEEDBACK_POLL_S = 0.01;
const WAIT_POLL_S = 0.1;
/** A ramp moves its setpoint once a second (before time_scale). */
const RAMP_STEP_S = 1;

export interface RecipePlanDeps {
  recipes: RecipeSource;
  process: ProcessConfig;
  /** The live instruments, for checks at submit (the engine's `devices()`). */
  devices?: () => DeviceCatalog;
}

interface Progress {
  step: number;
  steps: number;
  cycle: number;
  cycles: number;
  cyclesDone: number;
  growth: number;
}

/**
 * A recipe run: the recipe's steps as messages. Every configured valve is registered closed
 * as the run's safe state before anything opens, so abort, failure, shutdown and link loss
 * (closed when the PLC is back) all leave the valves shut. A valve step opens, waits for the
 * valve's feedback to confirm (or fails, saying what the interlock says), holds for its
 * duration and closes; a pause takes effect between steps; a stop `at: boundary` ends after the
 * current cycle. The process signals are sampled into stream `process` while it runs.
 */
export function* recipeRun(deps: RecipePlanDeps, args: RecipeArgs): PlanGenerator {
  const stored = deps.recipes.get(args.recipe, args.version);
  const { recipe } = stored;
  const map = new ProcessMap(deps.process);
  const scale = args.time_scale ?? deps.process.time_scale;
  const progress: Progress = {
    step: 0,
    steps: countSteps(recipe.steps),
    cycle: 0,
    cycles: countCycles(recipe.steps),
    cyclesDone: 0,
    growth: recipe.growth_per_cycle_nm,
  };
  const valveSignals = Object.values(deps.process.valves).map((v) => v.signal);
  const recorded = deps.process.sample_signals.length > 0 ? deps.process.sample_signals : valveSignals;
  yield openRun(
    {
      recipe: stored.name,
      recipe_version: stored.version,
      recipe_hash: stored.hash,
      recipe_body: recipe,
      growth_per_cycle_nm: recipe.growth_per_cycle_nm,
      time_scale: scale,
    },
    { num_points: progress.steps, hints: { dimensions: [[['time'], 'primary']] } },
  );
  yield { command: 'finalize', writes: valveSignals.map((target) => ({ target, value: false })) };
  if (deps.process.sample_signals.length > 0) {
    yield {
      command: 'monitor',
      targets: deps.process.sample_signals,
      interval_s: deps.process.sample_interval_ms / 1000,
      stream: 'process',
    };
  }
  yield* checkPreconditions(recipe.preconditions, map);
  yield* runSteps(recipe.steps, true);
  yield report(progress, null);
  yield closeRun();

  function* runSteps(steps: RecipeStep[], top: boolean): PlanGenerator {
    for (const step of steps) {
      if (step.type === 'loop') {
        for (let i = 0; i < step.count; i++) {
          if (top) progress.cycle = progress.cyclesDone + 1;
          yield* runSteps(step.steps, false);
          if (top) {
            progress.cyclesDone++;
            yield report(progress, null);
            yield { command: 'boundary' };
          }
        }
        continue;
      }
      yield checkpoint();
      progress.step++;
      yield report(progress, step);
      yield* runStep(step);
      yield triggerAndRead(recorded, 'primary');
    }
    if (top && progress.cycles === 1 && !steps.some((s) => s.type === 'loop')) progress.cyclesDone = 1;
  }

  function* runStep(step: Exclude<RecipeStep, { type: 'loop' }>): PlanGenerator {
    switch (step.type) {
      case 'valve':
        yield* pulse(step.valve, step.duration_ms / 1000);
        return;
      case 'purge': {
        const gas = map.gas(step.gas)!;
        if (step.flow_sccm !== undefined && gas.flow_signal) yield set(gas.flow_signal, step.flow_sccm);
        yield* pulse(gas.valve, (step.duration_ms / 1000) * scale);
        return;
      }
      case 'set':
        yield* setParameter(map.signal(step.signal)!, step.value, step.ramp_rate);
        if (step.hold_ms) yield sleep((step.hold_ms / 1000) * scale);
        return;
      case 'wait':
        yield* waitUntil(step.until, step.timeout_s);
        return;
    }
  }

  /**
   * Open, confirm open, hold, close: the valve is never left open behind the step. The hold
   * counts from the first feedback reading after the command (reading timestamps), so the time
   * spent confirming is part of the pulse, not added to it. Confirming is one `read_until`, so a
   * pulse re-done after a suspension times its hold from its own readings.
   */
  function* pulse(valveName: string, seconds: number): PlanGenerator {
    const valve = map.valve(valveName)!;
    yield set(valve.signal, true);
    let remaining = seconds;
    if (valve.feedback) {
      const confirmed = (yield {
        command: 'read_until',
        target: valve.feedback,
        until: { op: '==', value: true },
        timeout_s: deps.process.feedback_timeout_ms / 1000,
        poll_s: FEEDBACK_POLL_S,
      }) as ReadUntilResult;
      if (!confirmed.held) {
        yield set(valve.signal, false);
        let why = '';
        if (valve.interlock) {
          const r = (yield { command: 'read', targets: [valve.interlock] }) as ReadResult;
          if (r[valve.interlock]?.value === true) why = ` (interlock active: ${valve.interlock} is on)`;
        }
        throw new BenchtopError(
          'VALVE_NOT_CONFIRMED',
          `valve ${valveName} (${valve.signal}) did not open within ${deps.process.feedback_timeout_ms} ms: ${valve.feedback} stayed off${why}`,
          { valve: valveName, signal: valve.signal, feedback: valve.feedback, interlock: why !== '' },
        );
      }
      remaining = seconds - (confirmed.at - confirmed.first_at) / 1000;
    }
    if (remaining > 0) yield sleep(remaining);
    yield set(valve.signal, false);
  }

  /**
   * A ramp moves the setpoint from its present value at `rampRate` units per second, one step
   * a second: each step is written when the ramp has got there (never ahead of the rate), and
   * the target when the whole distance has taken |target - present| / rate seconds.
   */
  function* setParameter(signal: string, value: SignalValue, rampRate: number | undefined): PlanGenerator {
    if (rampRate !== undefined && typeof value === 'number') {
      const r = (yield { command: 'read', targets: [signal] }) as ReadResult;
      const start = r[signal]?.value;
      // Not Number(): a missing value would be 0 and the ramp would start there.
      if (typeof start !== 'number' || !Number.isFinite(start)) {
        throw new BenchtopError(
          'VALUE_INVALID',
          `cannot ramp ${signal}: its present value is ${JSON.stringify(start)}, not a number to ramp from`,
          { signal, value: start },
        );
      }
      const direction = Math.sign(value - start);
      const rampS = Math.abs(value - start) / rampRate;
      let elapsedS = 0;
      for (let k = 1; k * RAMP_STEP_S < rampS; k++) {
        yield sleep(RAMP_STEP_S * scale);
        elapsedS = k * RAMP_STEP_S;
        // From the start each time, so rounding does not add up over a long ramp.
        yield set(signal, start + direction * rampRate * elapsedS);
        // Each step reached is a checkpoint: a suspension re-does only the step after it (not
        // the ramp from its start, which would drop the setpoint back), and a pause holds the
        // setpoint where the ramp has got to.
        yield checkpoint();
      }
      yield sleep((rampS - elapsedS) * scale);
    }
    yield set(signal, value);
  }

  /**
   * Physical conditions are not scaled: the chamber heats as fast as it heats. The timeout is
   * the engine's time (slow reads do not stretch it; a suspension does not use it up).
   */
  function* waitUntil(until: string, timeoutS: number): PlanGenerator {
    const condition = parseCondition(until)!;
    const signal = map.signal(condition.signal)!;
    const r = (yield {
      command: 'read_until',
      target: signal,
      until: { op: condition.op, value: condition.value },
      timeout_s: timeoutS,
      poll_s: WAIT_POLL_S,
    }) as ReadUntilResult;
    if (r.held) return;
    throw new BenchtopError(
      'WAIT_TIMEOUT',
      `wait "${until}" did not hold within ${timeoutS} s (${signal} is ${JSON.stringify(r.value)})`,
      { until, signal, last: r.value, timeout_s: timeoutS },
    );
  }
}

/** Every condition read at once; the run fails listing each one that does not hold. */
function* checkPreconditions(preconditions: Precondition[], map: ProcessMap): PlanGenerator {
  if (preconditions.length === 0) return;
  const signals = preconditions.map((p) => map.signal(p.signal)!);
  const r = (yield { command: 'read', targets: [...new Set(signals)] }) as ReadResult;
  const failures: string[] = [];
  for (const [i, pre] of preconditions.entries()) {
    const signal = signals[i]!;
    const value = r[signal]?.value;
    const label = pre.description ? `${pre.description} (${signal})` : signal;
    if (pre.equals !== undefined && value !== pre.equals)
      failures.push(`${label} is ${JSON.stringify(value)}, must be ${JSON.stringify(pre.equals)}`);
    if (pre.min !== undefined && !(typeof value === 'number' && value >= pre.min))
      failures.push(`${label} is ${JSON.stringify(value)}, must be at least ${pre.min}`);
    if (pre.max !== undefined && !(typeof value === 'number' && value <= pre.max))
      failures.push(`${label} is ${JSON.stringify(value)}, must be at most ${pre.max}`);
  }
  if (failures.length > 0) {
    throw new BenchtopError(
      'PRECONDITION_FAILED',
      `${failures.length} precondition${failures.length > 1 ? 's' : ''} not met: ${failures.join('; ')}`,
      { failures },
    );
  }
}

function report(p: Progress, step: RecipeStep | null): Msg {
  return {
    command: 'progress',
    detail: {
      step: p.step,
      steps: p.steps,
      step_type: step?.type ?? null,
      step_name: step ? (step.name ?? describeStep(step)) : null,
      cycle: p.cycle,
      cycles: p.cycles,
      cycles_done: p.cyclesDone,
      thickness_nm: Math.round(p.cyclesDone * p.growth * 1e6) / 1e6,
    },
  };
}

function describeStep(step: RecipeStep): string {
  switch (step.type) {
    case 'valve':
      return `${step.valve} pulse ${step.duration_ms} ms`;
    case 'purge':
      return `purge ${step.duration_ms} ms${step.gas ? ` ${step.gas}` : ''}`;
    case 'set':
      return `set ${step.signal} = ${String(step.value)}`;
    case 'wait':
      return `wait ${step.until}`;
    case 'loop':
      return `loop ×${step.count}`;
  }
}

/** The least a recipe takes: its pulses, purges and holds (waits and ramps are open-ended). */
export function recipeDurationS(steps: RecipeStep[], scale: number): number {
  let s = 0;
  for (const step of steps) {
    if (step.type === 'loop') s += step.count * recipeDurationS(step.steps, scale);
    else if (step.type === 'valve') s += step.duration_ms / 1000;
    else if (step.type === 'purge') s += (step.duration_ms / 1000) * scale;
    else if (step.type === 'set') s += ((step.hold_ms ?? 0) / 1000) * scale;
  }
  return s;
}

/** The `recipe` plan, bound to the recipe store and the `[process]` mapping. */
export function createRecipePlan(deps: RecipePlanDeps): PlanDefinition<RecipeArgs> {
  const lookup = (args: RecipeArgs): StoredRecipe | ArgProblem => {
    try {
      return deps.recipes.get(args.recipe, args.version);
    } catch (error) {
      if (!isBenchtopError(error, 'RECIPE_NOT_FOUND')) throw error;
      return { path: args.version === undefined ? '/recipe' : '/version', message: error.message };
    }
  };
  return {
    name: 'recipe',
    description: 'Run a stored process recipe (valve pulses, purges, setpoints, waits, loops) on the PLC',
    args: RecipeArgs,
    onInstrumentUnavailable: 'fail',
    stopAt: 'boundary',
    instruments: () => new ProcessMap(deps.process).instruments(),
    check(args) {
      const found = lookup(args);
      if ('path' in found) return [found];
      return recipeProblems(found.recipe, new ProcessMap(deps.process), deps.devices?.()).map((p) => ({
        path: `/recipe${p.path}`,
        message: `${found.name} v${found.version}: ${p.message}`,
      }));
    },
    size(args): PlanSize {
      const found = lookup(args);
      const steps = 'path' in found ? [] : found.recipe.steps;
      return {
        points: { count: countSteps(steps), path: '/recipe' },
        duration: {
          seconds: recipeDurationS(steps, args.time_scale ?? deps.process.time_scale),
          path: '/recipe',
        },
      };
    },
    plan: (args) => recipeRun(deps, args),
  };
}
