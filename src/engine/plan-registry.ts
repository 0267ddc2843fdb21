import { CloneType, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BenchtopError } from '../core/errors.ts';
import type { DeviceCatalog } from './device-catalog.ts';
import { type ArgRole, POINT_COUNT_KEY, POSITION_OF_KEY, ROLE_KEY, roleText } from './plan-arg-roles.ts';
import type { ArgProblem, PlanDefinition, PlanSize } from './plan-definition.ts';
import { cameraAcquirePlan } from './plans/camera-acquire.ts';
import { countPlan } from './plans/count.ts';
import { gridScanPlan } from './plans/grid-scan.ts';
import { listScanPlan } from './plans/list-scan.ts';
import { scanPlan } from './plans/scan.ts';
import { timeSeriesPlan } from './plans/time-series.ts';

export const builtinPlans: PlanDefinition[] = [
  countPlan,
  scanPlan,
  gridScanPlan,
  listScanPlan,
  timeSeriesPlan,
  cameraAcquirePlan,
] as PlanDefinition[];

type JsonSchema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
};

/** How large a run may be (`[engine] max_points` and `max_duration_s`). */
export interface PlanLimits {
  maxPoints: number;
  maxDurationS: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = { maxPoints: 1_000_000, maxDurationS: 604_800 };

/** A plan request that passed validation: arguments with defaults filled in. */
export interface ValidatedPlan {
  plan: PlanDefinition;
  args: Record<string, unknown>;
  /** Device names the arguments mention (signals and cameras), for readiness checks. */
  devices: string[];
}

/**
 * The plans a run can be submitted with. Each request is checked against the plan's schema
 * and then against the live instruments (unknown detector, a motor that cannot be written,
 * a start outside the motor's limits…) before the run is queued, and every problem is
 * reported at once.
 */
export class PlanRegistry {
  private readonly plans: Map<string, PlanDefinition>;
  readonly limits: PlanLimits;

  constructor(plans: PlanDefinition[] = builtinPlans, limits: PlanLimits = DEFAULT_PLAN_LIMITS) {
    this.limits = limits;
    // Each point count in a schema carries the configured maximum, so the published schema
    // says it and validation refuses `num: 1e9` before anything is built.
    this.plans = new Map(
      plans.map((p) => [p.name, { ...p, args: capPointCounts(p.args, limits.maxPoints) }]),
    );
  }

  get(name: string): PlanDefinition {
    const plan = this.plans.get(name);
    if (!plan) {
      throw new BenchtopError(
        'PLAN_NOT_FOUND',
        `no plan "${name}" (known: ${[...this.plans.keys()].join(', ')})`,
        {
          plan: name,
          known: [...this.plans.keys()],
        },
      );
    }
    return plan;
  }

  list(): PlanDefinition[] {
    return [...this.plans.values()];
  }

  validate(name: string, args: unknown, devices: DeviceCatalog): ValidatedPlan {
    const plan = this.get(name);
    const problems: ArgProblem[] = [];
    const used: string[] = [];
    let value: unknown = args ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ path: '', message: `arguments must be an object; got ${JSON.stringify(args)}` });
    } else {
      value = Value.Default(plan.args, structuredClone(value));
      for (const error of Value.Errors(plan.args, value)) {
        problems.push({ path: error.path, message: `${error.message}; got ${JSON.stringify(error.value)}` });
      }
      // Device checks tolerate wrong types, so a request hears about every problem at once.
      const structural = problems.length;
      checkDevices(plan.args as JsonSchema, value, '', undefined, devices, problems, used);
      if (structural === 0) {
        problems.push(...(plan.check?.(value as never) ?? []));
        if (plan.size) problems.push(...this.sizeProblems(plan.size(value as never)));
      }
    }
    if (problems.length > 0) {
      const list = problems.map((p) => `  - ${p.path || '(arguments)'}: ${p.message}`).join('\n');
      throw new BenchtopError(
        'VALIDATION_FAILED',
        `${name}: ${problems.length} problem${problems.length > 1 ? 's' : ''} with the arguments:\n${list}`,
        { plan: name, problems },
      );
    }
    return { plan, args: value as Record<string, unknown>, devices: [...new Set(used)] };
  }

  /** The total points and the estimated duration against the limits (arithmetic only: nothing is built). */
  private sizeProblems(size: PlanSize): ArgProblem[] {
    const { maxPoints, maxDurationS } = this.limits;
    const problems: ArgProblem[] = [];
    if (!(size.points.count <= maxPoints)) {
      problems.push({
        path: size.points.path,
        message: `the run would have ${size.points.count} points; the limit is ${maxPoints} ([engine] max_points)`,
      });
    }
    if (!(size.duration.seconds <= maxDurationS)) {
      problems.push({
        path: size.duration.path,
        message: `the run would take at least ${size.duration.seconds} s; the limit is ${maxDurationS} s ([engine] max_duration_s)`,
      });
    }
    return problems;
  }

  /**
   * The plan's argument schema with the live device names as enums, and each motor's limits
   * and unit attached to the positions that refer to it (`allOf` of `if motor is M then the
   * position is within M's limits`), so a form can offer choices and a validator can check.
   */
  liveSchema(name: string, devices: DeviceCatalog): Record<string, unknown> {
    const schema = JSON.parse(JSON.stringify(this.get(name).args)) as JsonSchema;
    specialise(schema, devices);
    return schema;
  }
}

function checkDevices(
  schema: JsonSchema,
  value: unknown,
  path: string,
  parent: Record<string, unknown> | undefined,
  devices: DeviceCatalog,
  problems: ArgProblem[],
  used: string[],
): void {
  if (schema.type === 'object' && schema.properties && isRecord(value)) {
    for (const [key, child] of Object.entries(schema.properties)) {
      if (value[key] !== undefined)
        checkDevices(child, value[key], `${path}/${key}`, value, devices, problems, used);
    }
    return;
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    value.forEach((item, i) => {
      checkDevices(schema.items!, item, `${path}/${i}`, parent, devices, problems, used);
    });
    return;
  }
  const role = schema[ROLE_KEY] as ArgRole | undefined;
  if (role && typeof value === 'string') {
    const problem = devices.problem(role, value);
    if (problem) problems.push({ path, message: `${problem}; expected ${roleText[role]}` });
    else used.push(value);
    return;
  }
  const motorKey = schema[POSITION_OF_KEY] as string | undefined;
  if (motorKey && typeof value === 'number' && typeof parent?.[motorKey] === 'string') {
    const problem = devices.positionProblem(parent[motorKey] as string, value);
    if (problem) problems.push({ path, message: problem });
  }
}

function specialise(schema: JsonSchema, devices: DeviceCatalog): void {
  if (schema.type === 'array' && schema.items) specialise(schema.items, devices);
  const role = schema[ROLE_KEY] as ArgRole | undefined;
  if (role) {
    schema.enum = devices.candidates(role);
    if (role === 'motor') {
      schema['x-units'] = Object.fromEntries(
        (schema.enum as string[]).map((m) => [m, devices.signal(m)?.desc.unit ?? null]),
      );
    }
  }
  if (schema.type !== 'object' || !schema.properties) return;
  for (const child of Object.values(schema.properties)) specialise(child, devices);
  const positions = positionProperties(schema.properties);
  const byMotor = new Map<string, string[]>();
  for (const [property, motorKey] of positions)
    byMotor.set(motorKey, [...(byMotor.get(motorKey) ?? []), property]);
  const rules: JsonSchema[] = [];
  for (const [motorKey, properties] of byMotor) {
    for (const motor of (schema.properties[motorKey]?.enum as string[] | undefined) ?? []) {
      const desc = devices.signal(motor)?.desc;
      const bounds: JsonSchema = {
        ...(desc?.limits?.min !== undefined ? { minimum: desc.limits.min } : {}),
        ...(desc?.limits?.max !== undefined ? { maximum: desc.limits.max } : {}),
        ...(desc?.unit ? { 'x-unit': desc.unit } : {}),
      };
      if (Object.keys(bounds).length === 0) continue;
      const thenProps: Record<string, JsonSchema> = {};
      for (const property of properties) {
        thenProps[property] = schema.properties[property]!.type === 'array' ? { items: bounds } : bounds;
      }
      // JSON Schema's own keyword; the object is data, never awaited.
      rules.push(
        Object.fromEntries([
          ['if', { properties: { [motorKey]: { const: motor } }, required: [motorKey] }],
          ['then', { properties: thenProps }],
        ]),
      );
    }
  }
  if (rules.length > 0) schema.allOf = rules;
}

/** [property, motor property] for each number (or array of numbers) marked as a position. */
function positionProperties(properties: Record<string, JsonSchema>): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, child] of Object.entries(properties)) {
    const target = child.type === 'array' ? child.items : child;
    const motorKey = target?.[POSITION_OF_KEY];
    if (typeof motorKey === 'string') out.push([key, motorKey]);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of the schema whose point counts (`x-point-count`) are capped at `maxPoints`. */
function capPointCounts(schema: TObject, maxPoints: number): TObject {
  const copy = CloneType(schema);
  const cap = (node: JsonSchema) => {
    if (node[POINT_COUNT_KEY] === true) {
      node.maximum = Math.min(maxPoints, typeof node.maximum === 'number' ? node.maximum : Infinity);
    }
    if (node.items) cap(node.items);
    for (const child of Object.values(node.properties ?? {})) cap(child);
  };
  cap(copy as unknown as JsonSchema);
  return copy;
}
