import type { Instrument } from './instrument.ts';

/**
 * The running instruments by id, as every consumer sees them: the InstrumentManager implements
 * it, the run engine and the HTTP layer take it, tests pass a fake lab.
 */
export interface InstrumentDirectory {
  list(): Instrument[];
  /** Throws INSTRUMENT_NOT_FOUND for an unknown id. */
  get(id: string): Instrument;
  /** Stops (if running) and starts the instrument afresh, with a new restart window: the way out of faulted. */
  restart?(id: string): Promise<void>;
  /**
   * Several machines: gives up this server's control lease of the instrument, if it holds one
   * (an operator at the agent host may then take it). False when it held none.
   */
  releaseControl?(id: string): Promise<boolean>;
}
