import { defineInstrument } from '../kind.ts';
import { StimulusDisplayConfig } from './config.ts';
import { StimulusDisplayDriver } from './stimulus-display-driver.ts';

/**
 * The stimulus monitor of an intrinsic-imaging rig: a browser page on it draws the drifting bar
 * (`/stimulus?display=ID`) and reports each presented frame. No wire and no simulator: in
 * simulation a headless page or a test reports the frames, and they reach the lab's cortex.
 */
export const stimulusDisplayKind = defineInstrument({
  type: 'StimulusDisplay',
  configSchema: StimulusDisplayConfig,
  capabilities: [],
  createDriver: (config, deps) => new StimulusDisplayDriver(deps.id, config, deps),
});
