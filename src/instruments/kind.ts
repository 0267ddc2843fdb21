import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import type { InstrumentDriver } from '../core/device.ts';
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

/**
 * Everything Benchtop knows about one instrument type: how to build its driver from the
 * instrument's `config` table (already validated against the schema in config-schemas.ts)
 * and, where it talks over a wire, a simulator that speaks the same bytes.
 */
export interface InstrumentKind {
  readonly type: string;
  createDriver(id: string, config: Record<string, unknown>, deps: DriverDeps): InstrumentDriver;
  createSimulator?(id: string, config: Record<string, unknown>, lab: VirtualLab): SimulatorServer;
}
