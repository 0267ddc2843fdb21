import type { TObject } from '@sinclair/typebox';
import type { CapabilityDescription } from './capabilities.ts';

/**
 * What a device is, as clients see it: signals with types, units and limits, actions with
 * argument schemas. Plain types with no runtime dependencies, so the dashboard imports them
 * (and the validation built on them) from here rather than keeping its own copy.
 */

export const SignalDtypes = ['number', 'integer', 'boolean', 'string', 'enum', 'array'] as const;
export type SignalDtype = (typeof SignalDtypes)[number];

/** What one element of an `array` signal is. */
export const ArrayElementDtypes = ['number', 'integer'] as const;
export type ArrayElementDtype = (typeof ArrayElementDtypes)[number];

/**
 * A value: a scalar, or for an `array` signal its elements flat in row-major order (as frame
 * pixels are), `shape` giving the dimensions.
 */
export type SignalValue = number | boolean | string | readonly number[];

export interface Limits {
  min?: number;
  max?: number;
}

/** What a signal is, as clients see it. */
export interface SignalDescription {
  /** Dotted name within the instrument, e.g. `axis1.position`. */
  name: string;
  dtype: SignalDtype;
  unit?: string;
  limits?: Limits;
  /** Allowed values for `enum` signals. */
  choices?: string[];
  /** For `array` signals: the dimensions (`[1024]` for a spectrum, `[rows, columns]`) … */
  shape?: number[];
  /** … and what each element is. */
  element?: ArrayElementDtype;
  readable: boolean;
  writable: boolean;
  description: string;
  precision?: number;
  /** Read every poll interval and published, without anyone asking. */
  monitored: boolean;
  /** A write completes later (motion, tuning): a waiting write returns when it is done. */
  completes: boolean;
}

export interface ActionDescription {
  name: string;
  description: string;
  /** JSON Schema (TypeBox) of the `args` object. */
  args: TObject;
  completes: boolean;
}

export interface DeviceDescription {
  id: string;
  type: string;
  signals: SignalDescription[];
  actions: ActionDescription[];
  /** What it is beyond its signals (camera, motor axes, point table, detector), with the role names. */
  capabilities: CapabilityDescription[];
}
