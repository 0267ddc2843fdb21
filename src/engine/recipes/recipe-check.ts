import type { ProcessConfig } from '../../config/schema.ts';
import type { SignalValue } from '../../core/device.ts';
import { BenchtopError } from '../../core/errors.ts';
import { checkWrite } from '../../core/signal-validation.ts';
import { parseCondition } from '../conditions.ts';
import type { DeviceCatalog } from '../device-catalog.ts';
import type { ArgProblem } from '../plan-definition.ts';
import { everyStep, type Recipe, recipeStructureProblems } from './recipe-model.ts';

/** A recipe name (valve, gas, parameter) resolved to the signals `[process]` maps it to. */
export interface ResolvedValve {
  signal: string;
  feedback?: string;
  interlock?: string;
}

/** Resolves recipe names through `[process]`; a dotted name is a signal path already. */
export class ProcessMap {
  readonly config: ProcessConfig;

  constructor(config: ProcessConfig) {
    this.config = config;
  }

  valve(name: string): ResolvedValve | undefined {
    return this.config.valves[name];
  }

  /** The gas a purge uses: its own, else the default. */
  gas(name: string | undefined): { name: string; valve: string; flow_signal?: string } | undefined {
    const gasName = name ?? this.config.default_purge_gas;
    if (gasName === undefined) return undefined;
    const gas = this.config.gases[gasName];
    return gas ? { name: gasName, ...gas } : undefined;
  }

  /** A [process.parameters] name, or `instrument.signal` as given. */
  signal(name: string): string | undefined {
    if (name.includes('.')) return name;
    return this.config.parameters[name];
  }

  /** Every instrument the mapping names (the ones a recipe run uses). */
  instruments(): string[] {
    const paths = [
      ...Object.values(this.config.valves).flatMap((v) => [v.signal, v.feedback, v.interlock]),
      ...Object.values(this.config.gases).map((g) => g.flow_signal),
      ...Object.values(this.config.parameters),
      ...this.config.sample_signals,
    ].filter((p): p is string => typeof p === 'string');
    return [...new Set(paths.map((p) => p.split('.')[0]!))];
  }
}

/**
 * The recipe against the process mapping and (when given) the live instruments: every valve,
 * gas and signal it names must exist, written ones must be writable, conditions must parse.
 * Every problem is listed, with its JSON pointer into the recipe.
 */
export function recipeProblems(recipe: Recipe, map: ProcessMap, devices?: DeviceCatalog): ArgProblem[] {
  const problems: ArgProblem[] = [];
  /** `written`: the value a write puts there (and where the recipe says it), checked against the point. */
  const checkSignal = (
    name: string,
    path: string,
    use: 'read' | 'write',
    written?: { value: SignalValue; path: string },
  ) => {
    const signal = map.signal(name);
    if (!signal) {
      const known = Object.keys(map.config.parameters);
      problems.push({
        path,
        message: `"${name}" is neither instrument.signal nor a [process.parameters] name (known: ${known.join(', ') || 'none'})`,
      });
      return;
    }
    if (!devices) return;
    const entry = devices.signal(signal);
    if (!entry) problems.push({ path, message: `no signal ${signal}` });
    else if (use === 'write' && !entry.desc.writable)
      problems.push({ path, message: `${signal} cannot be written` });
    else if (use === 'read' && !entry.desc.readable)
      problems.push({ path, message: `${signal} cannot be read` });
    else if (written) {
      // Refused here rather than by the write halfway through the recipe.
      try {
        checkWrite(entry.instrument, entry.desc, written.value);
      } catch (error) {
        problems.push({ path: written.path, message: (error as Error).message });
      }
    }
  };
  const checkValve = (name: string, path: string) => {
    const valve = map.valve(name);
    if (!valve) {
      const known = Object.keys(map.config.valves);
      problems.push({
        path,
        message: `no valve "${name}" in [process.valves] (known: ${known.join(', ') || 'none'})`,
      });
      return;
    }
    checkSignal(valve.signal, path, 'write');
    if (valve.feedback) checkSignal(valve.feedback, path, 'read');
  };
  for (const [i, pre] of recipe.preconditions.entries()) {
    checkSignal(pre.signal, `/preconditions/${i}/signal`, 'read');
    if (pre.min === undefined && pre.max === undefined && pre.equals === undefined)
      problems.push({ path: `/preconditions/${i}`, message: 'needs min, max or equals' });
    if (pre.min !== undefined && pre.max !== undefined && pre.min > pre.max)
      problems.push({ path: `/preconditions/${i}`, message: `min ${pre.min} is above max ${pre.max}` });
  }
  for (const [step, path] of everyStep(recipe.steps)) {
    switch (step.type) {
      case 'valve':
        checkValve(step.valve, `${path}/valve`);
        break;
      case 'purge': {
        const gas = map.gas(step.gas);
        if (!gas) {
          problems.push({
            path: `${path}/gas`,
            message:
              step.gas === undefined
                ? 'names no gas and [process] has no default_purge_gas'
                : `no gas "${step.gas}" in [process.gases] (known: ${Object.keys(map.config.gases).join(', ') || 'none'})`,
          });
          break;
        }
        checkValve(gas.valve, `${path}/gas`);
        if (step.flow_sccm !== undefined) {
          if (!gas.flow_signal)
            problems.push({
              path: `${path}/flow_sccm`,
              message: `gas ${gas.name} has no flow_signal in [process.gases]`,
            });
          else
            checkSignal(gas.flow_signal, `${path}/flow_sccm`, 'write', {
              value: step.flow_sccm,
              path: `${path}/flow_sccm`,
            });
        }
        break;
      }
      case 'set':
        checkSignal(step.signal, `${path}/signal`, 'write', { value: step.value, path: `${path}/value` });
        if (step.ramp_rate !== undefined && typeof step.value !== 'number')
          problems.push({ path: `${path}/ramp_rate`, message: 'only a number can be ramped' });
        else if (step.ramp_rate !== undefined) {
          const signal = map.signal(step.signal);
          const entry = signal ? devices?.signal(signal) : undefined;
          if (entry && !entry.desc.readable)
            problems.push({
              path: `${path}/ramp_rate`,
              message: `${signal} cannot be read, and a ramp starts from its present value`,
            });
        }
        break;
      case 'wait': {
        const condition = parseCondition(step.until);
        if (!condition)
          problems.push({
            path: `${path}/until`,
            message: `"${step.until}" is not a condition like "chamber_temperature >= 195"`,
          });
        else checkSignal(condition.signal, `${path}/until`, 'read');
        break;
      }
      case 'loop':
        break;
    }
  }
  return problems;
}

/**
 * A recipe as given (parsed TOML/JSON, or an API body), checked whole: its structure, then
 * the mapping and the live instruments. Throws VALIDATION_FAILED listing every problem.
 */
export function validRecipe(value: unknown, map: ProcessMap, devices?: DeviceCatalog): Recipe {
  const { recipe, problems } = recipeStructureProblems(value);
  const all = recipe ? recipeProblems(recipe, map, devices) : problems;
  if (!recipe || all.length > 0) {
    const name = isRecord(value) && typeof value.name === 'string' ? value.name : 'recipe';
    const list = all.map((p) => `  - ${p.path || '(recipe)'}: ${p.message}`).join('\n');
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `${name}: ${all.length} problem${all.length > 1 ? 's' : ''}:\n${list}`,
      { problems: all },
    );
  }
  return recipe;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
