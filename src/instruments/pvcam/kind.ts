import type { InstrumentKind } from '../kind.ts';
import { PvcamDriver } from './pvcam-driver.ts';

/**
 * Photometrics PVCAM cameras. There is no wire to simulate: in simulation mode (or with
 * `backend = "simulated"`) the driver gets the simulated camera backend, which images the lab.
 */
export const pvcamKind: InstrumentKind = {
  type: 'PVCAMInstrument',
  createDriver: (id, config, deps) => new PvcamDriver(id, config, deps),
};
