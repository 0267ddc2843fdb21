import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { defineInstrument } from '../kind.ts';
import { ScpiConfig } from './config.ts';
import { ScpiDmmSimProtocol } from './scpi-dmm-sim-protocol.ts';
import { ScpiDriver } from './scpi-driver.ts';
import { scpiLink } from './scpi-link.ts';

/**
 * ScpiInstrument: any SCPI instrument by VISA resource. In simulation it talks to a SCPI DMM
 * on a raw socket that reads the lab's photodiode.
 */
export const scpiKind = defineInstrument({
  type: 'ScpiInstrument',
  configSchema: ScpiConfig,
  capabilities: [],
  createDriver: (config, deps) => new ScpiDriver(deps.id, config, deps, scpiLink(config, deps)),
  replyTimeoutMs: (config) => config.timeout_ms,
  createSimulator: (config, lab) =>
    new LineSimulatorServer('ScpiInstrument', new ScpiDmmSimProtocol(lab), {
      readTerminator: '\n',
      replyTerminator: config.read_termination,
    }),
});
