import { type TInteger, type TNumber, type TString, Type } from '@sinclair/typebox';

/**
 * The parts a device name plays in a plan's arguments, marked in the argument schema with
 * `x-role`. The registry uses the marks twice: to put the live device names (and a motor's
 * limits and unit) into the schema the API and UI publish, and to check a request against
 * the instruments before a run starts. A number marked `x-position-of: "<property>"` is a
 * position of the motor named by that property of the same object.
 */
export const ArgRoles = ['detector', 'readable', 'motor', 'camera'] as const;
export type ArgRole = (typeof ArgRoles)[number];

export const ROLE_KEY = 'x-role';
export const POSITION_OF_KEY = 'x-position-of';
/** Marks an integer that counts points (events): the registry caps it at `[engine] max_points`. */
export const POINT_COUNT_KEY = 'x-point-count';

export const roleText: Record<ArgRole, string> = {
  detector: 'a readable signal (instrument.signal) or a camera id',
  readable: 'a readable signal (instrument.signal)',
  motor: 'a writable numeric signal (instrument.signal)',
  camera: 'a camera instrument id',
};

export function deviceName(role: ArgRole, description: string): TString {
  return Type.String({ minLength: 1, [ROLE_KEY]: role, description });
}

export function positionOf(motorProperty: string, description: string): TNumber {
  return Type.Number({ [POSITION_OF_KEY]: motorProperty, description });
}

/** `settle_s`, shared by every plan that moves something. */
export const settleArg = () =>
  Type.Number({
    minimum: 0,
    default: 0,
    description: 'Seconds to wait after each move completes, before reading',
    'x-unit': 's',
  });

/** A number of points (`num`, `frames`): at least 1, at most the engine's `max_points`. */
export function pointCount(description: string, options: { default?: number } = {}): TInteger {
  return Type.Integer({ minimum: 1, ...options, [POINT_COUNT_KEY]: true, description });
}
