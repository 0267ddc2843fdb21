import type { Static, TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { InstrumentConfigSchemas } from '../config/instrument-schemas.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import type { Capability, InstrumentDriver } from '../core/device.ts';
import { BenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { SimulatorServer } from '../sim/simulator.ts';
import type { VirtualLab } from '../sim/virtual-lab.ts';
import type { Endpoint } from '../transports/endpoint.ts';

export interface DriverDeps {
  clock: Clock;
  log: Logger;
  /** In simulation mode: where this instrument's simulator listens; overrides serial_port/resource. */
  simulatorEndpoint?: Endpoint;
  /** In simulation mode: the shared lab (for simulated backends that are not on a wire, e.g. the camera). */
  lab?: VirtualLab;
  /** For data that does not fit a reading, e.g. a camera's `camera.frame`. */
  bus?: EventBus<BenchtopEvents>;
}

/** What a definition's factories get besides the config: the instrument's id and the driver deps. */
export interface KindDeps extends DriverDeps {
  id: string;
}

/**
 * One instrument type, as its folder writes it: the type name (as the lab guide spells it), the
 * schema of its `config` table, its capabilities and factories that take the config typed, with
 * the schema's defaults applied.
 */
export interface InstrumentDefinition<S extends TObject> {
  readonly type: string;
  readonly configSchema: S;
  /** What clients may rely on beyond the signal list (src/core/capabilities.ts). */
  readonly capabilities: readonly Capability[];
  createDriver(config: Static<S>, deps: KindDeps): InstrumentDriver;
  /** How long one reply may take (the actor's ask timeout is derived from it); default 5000 ms. */
  replyTimeoutMs?(config: Static<S>): number;
  /** A server that speaks the instrument's bytes, where it talks over a wire. */
  createSimulator?(config: Static<S>, lab: VirtualLab, id: string): SimulatorServer;
}

/**
 * Everything Benchtop knows about one instrument type, as the catalog, app and CLI use it:
 * factories that take the instrument's raw `config` table. Built by `defineInstrument`.
 */
export interface InstrumentKind {
  readonly type: string;
  readonly configSchema: TObject;
  readonly capabilities: readonly Capability[];
  createDriver(id: string, config: Record<string, unknown>, deps: DriverDeps): InstrumentDriver;
  replyTimeoutMs(config: Record<string, unknown>): number;
  createSimulator?(id: string, config: Record<string, unknown>, lab: VirtualLab): SimulatorServer;
}

/**
 * The `config` table with the schema's defaults filled in and checked. The loader has done both
 * for a configuration file; this is the one place a driver's config gets them otherwise (tests,
 * tools that build a driver from a bare table).
 */
export function typedConfig<S extends TObject>(type: string, schema: S, id: string, raw: unknown): Static<S> {
  const config = Value.Default(schema, structuredClone(raw ?? {}));
  if (!Value.Check(schema, config)) {
    const problems = [...Value.Errors(schema, config)].map((e) => `${e.path || '/'} ${e.message}`);
    throw new BenchtopError('CONFIG_INVALID', `${id}: invalid ${type} config: ${problems.join('; ')}`, {
      instrument: id,
      problems,
    });
  }
  return config;
}

/**
 * The driver describes every capability its kind promises (clients look for them), and a camera
 * has frames to give: a kind that breaks this fails at once, not when a client trusts it.
 */
function keepsPromises(
  type: string,
  promised: readonly Capability[],
  driver: InstrumentDriver,
): InstrumentDriver {
  const described = new Set((driver.capabilities ?? []).map((c) => c.kind));
  const missing = promised.filter((kind) => !described.has(kind));
  if (promised.includes('camera') && !driver.frameSource) missing.push('camera');
  if (missing.length > 0) {
    throw new BenchtopError(
      'INTERNAL',
      `${type} driver does not describe its ${missing.join(', ')} capability`,
      {
        type,
        missing,
      },
    );
  }
  return driver;
}

/** Turns an instrument folder's definition into the kind the catalog lists. */
export function defineInstrument<S extends TObject>(definition: InstrumentDefinition<S>): InstrumentKind {
  const { type, configSchema, capabilities, createSimulator, replyTimeoutMs } = definition;
  return {
    type,
    configSchema,
    capabilities,
    createDriver: (id, config, deps) =>
      keepsPromises(
        type,
        capabilities,
        definition.createDriver(typedConfig(type, configSchema, id, config), { ...deps, id }),
      ),
    replyTimeoutMs: (config) =>
      replyTimeoutMs ? replyTimeoutMs(typedConfig(type, configSchema, 'instrument', config)) : 5000,
    ...(createSimulator
      ? {
          // A simulator only needs the settings that shape its bytes (terminators): it serves a
          // bare table too, so it gets the defaults without the check.
          createSimulator: (id: string, config: Record<string, unknown>, lab: VirtualLab) =>
            createSimulator(Value.Default(configSchema, structuredClone(config)) as Static<S>, lab, id),
        }
      : {}),
  };
}

/** A set of kinds by type name, with the config-schema table the config layer is given. */
export interface InstrumentCatalog {
  readonly kinds: Readonly<Record<string, InstrumentKind>>;
  readonly configSchemas: InstrumentConfigSchemas;
}

/** The catalog of these kinds (in this order: messages list the types in it). */
export function catalogOf(kinds: readonly InstrumentKind[]): InstrumentCatalog {
  return {
    kinds: Object.fromEntries(kinds.map((kind) => [kind.type, kind])),
    configSchemas: Object.fromEntries(kinds.map((kind) => [kind.type, kind.configSchema])),
  };
}
