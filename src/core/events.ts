import type { ActorStateChange } from './actor-state.ts';
import type { DriverIdentity } from './device.ts';
import type { Reading } from './reading.ts';

/**
 * Every topic on the in-process bus and what it carries. Producers and consumers import
 * this map, so a payload's shape is written once. Later modules add their topics here.
 */
export interface BenchtopEvents {
  /** An actor (instrument, writer) changed life-cycle state. */
  'actor.state': ActorStateChange;
  /** A value read from (or reported by) an instrument. */
  'instrument.reading': Reading;
  /** An instrument identified itself on connect. */
  'instrument.identity': { instrument: string; identity: DriverIdentity };
  /** A bus subscriber threw; the bus isolated it. */
  'bus.handler_error': { topic: string; message: string };
}
