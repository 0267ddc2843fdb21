import { defineInstrument } from '../kind.ts';
import { PvcamConfig } from './config.ts';
import { PvcamDriver } from './pvcam-driver.ts';

/**
 * Photometrics PVCAM cameras. There is no wire to simulate: in simulation mode (or with
 * `backend = "simulated"`) the driver gets the simulated camera backend, which images the lab.
 */
export const pvcamKind = defineInstrument({
  type: 'PVCAMInstrument',
  configSchema: PvcamConfig,
  capabilities: ['camera'],
  createDriver: (config, deps) => new PvcamDriver(deps.id, config, deps),
});
