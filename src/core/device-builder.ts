import type { Static, TObject } from '@sinclair/typebox';
import type { ActionDef, CallContext, SignalDef } from './device.ts';
import type { SignalValue } from './device-description.ts';

/**
 * Typed declarations for drivers. A driver writes `signal<number>({ ... write: (v) => ... })` and
 * `action({ args: Type.Object(...), run: (args) => ... })` with its own value and argument types;
 * these erase them to the shapes the actor holds. The erasure is sound because the Instrument
 * checks every value against the signal's dtype and every `args` against the action's schema
 * before the driver sees it.
 */

/** A signal whose reads and writes carry `T`. */
export function signal<T extends SignalValue>(def: SignalDef<T>): SignalDef {
  const { write, ...rest } = def;
  if (!write) return rest;
  return {
    ...rest,
    // The Instrument validated `value` against `dtype` (which matches T) before this runs.
    write: (value: SignalValue, ctx: CallContext) => write(value as T, ctx),
  };
}

/** What an action declaration says; `run` gets its arguments as the schema types them. */
export interface ActionDeclaration<S extends TObject> {
  description: string;
  args: S;
  run: (args: Static<S>, ctx: CallContext) => Promise<unknown>;
  completes?: boolean;
}

/** An action whose `run` takes the arguments its `args` schema describes. */
export function action<S extends TObject>(def: ActionDeclaration<S>): DriverAction {
  return def;
}

/** An action as the actor holds it: arguments already checked against `args`. */
export type DriverAction = ActionDef<never>;

/** A driver's actions by name. */
export type DriverActions = Record<string, DriverAction>;
