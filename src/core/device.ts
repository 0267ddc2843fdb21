import type { TObject } from '@sinclair/typebox';
import type { CapabilityDescription } from './capabilities.ts';
import type { Clock } from './clock.ts';
import type {
  ArrayElementDtype,
  DeviceDescription,
  Limits,
  SignalDescription,
  SignalDtype,
  SignalValue,
} from './device-description.ts';
import type { FrameSource } from './frame-source.ts';
import type { Logger } from './logger.ts';

export type { Capability, CapabilityDescription } from './capabilities.ts';
export type {
  ActionDescription,
  DeviceDescription,
  Limits,
  SignalDescription,
  SignalDtype,
  SignalValue,
} from './device-description.ts';
export { SignalDtypes } from './device-description.ts';

/**
 * The device model. A driver declares its signals (typed values with units and limits) and
 * actions (with argument schemas) once; that declaration is the single source for request
 * validation, the API's description, the CLI and the dashboard's forms.
 */

/** Context a driver gets while it is connected (one per actor incarnation). */
export interface DriverContext {
  readonly id: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Aborted when the incarnation ends; pending I/O should give up. */
  readonly lifetime: AbortSignal;
  /** The link failed outside any command (e.g. the socket closed): restart the actor. */
  linkLost(error: unknown): void;
  /** Publishes a value the instrument reported by itself (unsolicited, streamed). */
  publish(signal: string, value: SignalValue): void;
  /**
   * The driver changed a signal's unit or limits outside `connect` (e.g. the meter's display
   * units): cached descriptions are rebuilt. Changes made in `connect` need no call.
   */
  descriptionChanged?(): void;
}

/** Context for one command; `signal` aborts when the asker stops waiting. */
export interface CallContext extends DriverContext {
  readonly signal: AbortSignal;
}

/**
 * Returned by a write or action that finishes later (a move, tuning, homing). The actor
 * polls `isDone` through the mailbox, so other commands (reading the position, `stop`)
 * still get through while it waits.
 */
export class Completion {
  readonly what: string;
  readonly isDone: (ctx: CallContext) => Promise<boolean>;
  readonly pollMs: number;
  readonly timeoutMs: number;

  constructor(options: {
    what: string;
    isDone: (ctx: CallContext) => Promise<boolean>;
    pollMs: number;
    timeoutMs: number;
  }) {
    this.what = options.what;
    this.isDone = options.isDone;
    this.pollMs = options.pollMs;
    this.timeoutMs = options.timeoutMs;
  }
}

export interface SignalDef<T extends SignalValue = SignalValue> {
  dtype: SignalDtype;
  description: string;
  unit?: string;
  /** May be refined at connect time (e.g. the laser's WAV:MIN?/MAX?). */
  limits?: Limits;
  choices?: readonly string[];
  /** For `array` signals: dimensions and element type (values are flat, row-major). */
  shape?: readonly number[];
  element?: ArrayElementDtype;
  precision?: number;
  monitored?: boolean;
  read?: (ctx: CallContext) => Promise<T>;
  write?: (value: T, ctx: CallContext) => Promise<Completion | undefined>;
  /** Set when `write` may return a Completion. */
  completes?: boolean;
  /**
   * Set when `write` returns only after reading the value back from the instrument and finding
   * it taken: the written value is then the reading, published without another exchange.
   */
  verifies?: boolean;
}

export interface ActionDef<A = Record<string, unknown>> {
  description: string;
  args: TObject;
  run: (args: A, ctx: CallContext) => Promise<unknown>;
  /** Set when `run` may return a Completion. */
  completes?: boolean;
}

/** Identity reported at connect (`*IDN?`, `VE?`, …). */
export interface DriverIdentity {
  model: string;
  serial?: string;
  firmware?: string;
  raw?: string;
}

/**
 * An instrument driver. Signals and actions exist from construction (the API can describe an
 * instrument that is offline); `connect` opens the link, identifies it and may refine limits.
 */
export interface InstrumentDriver {
  readonly type: string;
  readonly signals: Record<string, SignalDef>;
  readonly actions: Record<string, ActionDef<never>>;
  /** Its capabilities with the names of the signals and actions that fill each role. */
  readonly capabilities?: readonly CapabilityDescription[];
  /** Frames, for a driver with the `camera` capability. */
  readonly frameSource?: FrameSource;
  connect(ctx: DriverContext): Promise<DriverIdentity>;
  /** Closes the link. Must not throw. */
  disconnect(): Promise<void>;
}

/** One signal's description, from its declaration (limits as they are now). */
export function describeSignal(name: string, def: SignalDef): SignalDescription {
  return {
    name,
    dtype: def.dtype,
    ...(def.unit !== undefined ? { unit: def.unit } : {}),
    ...(def.limits ? { limits: { ...def.limits } } : {}),
    ...(def.choices ? { choices: [...def.choices] } : {}),
    ...(def.shape ? { shape: [...def.shape], element: def.element ?? 'number' } : {}),
    readable: def.read !== undefined,
    writable: def.write !== undefined,
    description: def.description,
    ...(def.precision !== undefined ? { precision: def.precision } : {}),
    monitored: def.monitored === true,
    completes: def.completes === true,
  };
}

export function describeDriver(id: string, driver: InstrumentDriver): DeviceDescription {
  return {
    id,
    type: driver.type,
    signals: Object.entries(driver.signals).map(([name, def]) => describeSignal(name, def)),
    actions: Object.entries(driver.actions).map(([name, def]) => ({
      name,
      description: def.description,
      args: def.args,
      completes: def.completes === true,
    })),
    capabilities: [...(driver.capabilities ?? [])],
  };
}
