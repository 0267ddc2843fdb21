import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AnalysisParameters } from '../analysis/retinotopy/analysis-parameters.ts';
import { BenchtopError } from '../core/errors.ts';

/**
 * The imaging rig's parameters in the guide's groups (its config/isi_parameters.json), each
 * field with a default, so a missing file or group means "the defaults" and `reset` is one
 * call. The stimulus and monitor groups describe the same things as a StimulusDisplay's
 * configuration; analysis is the analysis's own parameter set.
 */
const group = <P extends Parameters<typeof Type.Object>[0]>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, default: {}, description });

export const IsiParameterGroups = {
  acquisition: group(
    {
      baseline_s: Type.Number({
        minimum: 0,
        default: 5,
        description: 'background before the first and after the last direction',
      }),
      between_s: Type.Number({ minimum: 0, default: 5, description: 'background between directions' }),
      cycles: Type.Integer({ minimum: 1, default: 10, description: 'sweeps per direction' }),
      directions: Type.Array(Type.Union(['LR', 'RL', 'TB', 'BT'].map((d) => Type.Literal(d))), {
        minItems: 1,
        uniqueItems: true,
        default: ['LR', 'RL', 'TB', 'BT'],
      }),
      mode: Type.Union([Type.Literal('preview'), Type.Literal('record'), Type.Literal('playback')], {
        default: 'preview',
      }),
    },
    'what a recording does',
  ),
  analysis: AnalysisParameters,
  camera: group(
    {
      instrument: Type.String({
        default: '',
        description: 'Benchtop camera instrument id ("" = the first camera)',
      }),
      fps: Type.Number({ exclusiveMinimum: 0, maximum: 1000, default: 30 }),
      exposure_us: Type.Integer({ minimum: 1, default: 33000 }),
      gain: Type.Number({ minimum: 0, default: 0 }),
      binning: Type.Integer({ minimum: 1, maximum: 8, default: 1 }),
      anatomical_frames: Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 4,
        description: 'frames averaged into the anatomical snapshot',
      }),
      anatomical_illumination: Type.String({
        default: '',
        pattern: '^$|^[^.]+\\..+$',
        description: 'signal ("instrument.signal") switched on for the snapshot, e.g. a green LED; "" = none',
      }),
      anatomical_illumination_on: Type.Union([Type.Number(), Type.Boolean()], {
        default: 1,
        description: 'the value that switches it on (the old value is put back afterwards)',
      }),
    },
    'the camera watching the cortex',
  ),
  monitor: group(
    {
      display: Type.String({ default: '', description: 'StimulusDisplay instrument id ("" = the first)' }),
      width_cm: Type.Number({ exclusiveMinimum: 0, default: 52 }),
      height_cm: Type.Number({ exclusiveMinimum: 0, default: 29 }),
      distance_cm: Type.Number({ exclusiveMinimum: 0, default: 10 }),
      resolution_px: Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })], {
        default: [1920, 1080],
      }),
      refresh_hz: Type.Number({ exclusiveMinimum: 0, maximum: 500, default: 60 }),
      lateral_angle_deg: Type.Number({ minimum: -90, maximum: 90, default: 30 }),
      tilt_angle_deg: Type.Number({ minimum: -90, maximum: 90, default: 20 }),
    },
    'the stimulus monitor and where the eye is',
  ),
  session: group(
    {
      animal_id: Type.String({ default: '' }),
      experimenter: Type.String({ default: '' }),
      notes: Type.String({ default: '' }),
      export_guide_layout: Type.Boolean({
        default: true,
        description: "also write the guide's per-direction files",
      }),
    },
    'who and what a recording is of',
  ),
  stimulus: group(
    {
      bar_width_deg: Type.Number({ exclusiveMinimum: 0, maximum: 180, default: 20 }),
      checker_size_deg: Type.Number({ exclusiveMinimum: 0, default: 25 }),
      flicker_hz: Type.Number({
        minimum: 0,
        default: 6,
        description: 'checkerboard polarity reversals per second',
      }),
      contrast: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
      background: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
      drift_speed_deg_s: Type.Number({ exclusiveMinimum: 0, default: 9 }),
      spherical_correction: Type.Boolean({ default: true }),
    },
    'the drifting bar',
  ),
  system: group(
    {
      output_dir: Type.String({ default: '', description: '"" = the server\'s [storage] output_dir' }),
      log_level: Type.Union(
        ['debug', 'info', 'warn', 'error'].map((l) => Type.Literal(l)),
        { default: 'info' },
      ),
      parameter_backups: Type.Integer({ minimum: 1, default: 20, description: 'backups kept' }),
    },
    'the rig as a whole',
  ),
};

export const IsiParameters = Type.Object(IsiParameterGroups, { additionalProperties: false });
export type IsiParameters = Static<typeof IsiParameters>;
export type IsiParameterGroup = keyof typeof IsiParameterGroups;
export const PARAMETER_GROUPS = Object.keys(IsiParameterGroups) as IsiParameterGroup[];

/** Every problem of `value` as parameters, one line each ("/stimulus/contrast: …"); empty when valid. */
export function parameterProblems(value: unknown): string[] {
  return [...Value.Errors(IsiParameters, withDefaults(value))].map((e) => `${e.path || '/'}: ${e.message}`);
}

/** Missing groups and fields filled with their defaults (the value is not changed). */
function withDefaults(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const v = structuredClone(value) as Record<string, unknown>;
  for (const g of PARAMETER_GROUPS) v[g] ??= {};
  return Value.Default(IsiParameters, v);
}

export function defaultParameters(): IsiParameters {
  return withDefaults({}) as IsiParameters;
}

/** `value` as parameters, or VALUE_INVALID listing what is wrong. */
export function checkParameters(value: unknown, source: string): IsiParameters {
  const problems = parameterProblems(value);
  if (problems.length > 0)
    throw new BenchtopError('VALUE_INVALID', `${source}: ${problems.join('; ')}`, { source, problems });
  return withDefaults(value) as IsiParameters;
}

const LABEL = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The parameter file and its labelled backups beside it
 * (`backups/isi_parameters.{label}.json`). Writes go to a temporary file renamed over the old
 * one, so a crash leaves either the old or the new parameters, never half of them.
 */
export class IsiParameterStore {
  readonly path: string;
  readonly backupDir: string;

  constructor(path: string) {
    this.path = path;
    this.backupDir = join(dirname(path), 'backups');
  }

  read(): IsiParameters {
    if (!existsSync(this.path)) return defaultParameters();
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw new BenchtopError('VALUE_INVALID', `${this.path}: not JSON: ${(error as Error).message}`, {
        path: this.path,
      });
    }
    return checkParameters(parsed, this.path);
  }

  /** Problems of the file as it is (none when it is missing: the defaults apply). */
  validate(): string[] {
    if (!existsSync(this.path)) return [];
    try {
      return parameterProblems(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch (error) {
      return [`not JSON: ${(error as Error).message}`];
    }
  }

  write(parameters: unknown): IsiParameters {
    const checked = checkParameters(parameters, 'parameters');
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(checked, null, 2)}\n`);
    renameSync(tmp, this.path);
    return checked;
  }

  /** Replaces one group (fields left out take their defaults) and writes the file. */
  updateGroup(name: string, values: unknown): IsiParameters {
    if (!PARAMETER_GROUPS.includes(name as IsiParameterGroup))
      throw new BenchtopError(
        'VALUE_INVALID',
        `no parameter group ${name} (${PARAMETER_GROUPS.join(', ')})`,
        {
          group: name,
        },
      );
    const current = this.read() as Record<string, unknown>;
    return this.write({ ...current, [name]: values });
  }

  /** One group, or all of them, back to the defaults. */
  reset(name?: string): IsiParameters {
    if (name === undefined) return this.write(defaultParameters());
    return this.updateGroup(name, {});
  }

  backup(label: string): string {
    if (!LABEL.test(label))
      throw new BenchtopError(
        'VALUE_INVALID',
        `backup label "${label}": letters, digits, _ . - (at most 64)`,
        {
          label,
        },
      );
    mkdirSync(this.backupDir, { recursive: true });
    const target = this.backupPath(label);
    if (existsSync(this.path)) {
      this.read(); // an invalid file is not backed up as if it were good
      copyFileSync(this.path, target);
    } else writeFileSync(target, `${JSON.stringify(defaultParameters(), null, 2)}\n`);
    return target;
  }

  backups(): string[] {
    if (!existsSync(this.backupDir)) return [];
    const prefix = `${basename(this.path, '.json')}.`;
    return readdirSync(this.backupDir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
      .map((f) => f.slice(prefix.length, -'.json'.length))
      .sort();
  }

  /** The backup `label` becomes the parameters (checked first: a bad backup changes nothing). */
  restore(label: string): IsiParameters {
    const source = this.backupPath(label);
    if (!LABEL.test(label) || !existsSync(source))
      throw new BenchtopError('NOT_FOUND', `no parameter backup "${label}" in ${this.backupDir}`, {
        label,
        backups: this.backups(),
      });
    return this.write(checkParameters(JSON.parse(readFileSync(source, 'utf8')), source));
  }

  private backupPath(label: string): string {
    return join(this.backupDir, `${basename(this.path, '.json')}.${label}.json`);
  }
}
