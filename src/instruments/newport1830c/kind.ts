import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { defineInstrument } from '../kind.ts';
import { serialLineTransport } from '../link-endpoint.ts';
import { Newport1830cConfig } from './config.ts';
import { Newport1830cDriver } from './newport1830c-driver.ts';
import { Newport1830cSimProtocol } from './newport1830c-sim.ts';

export const newport1830cKind = defineInstrument({
  type: 'Newport1830C',
  configSchema: Newport1830cConfig,
  capabilities: ['detector'],
  createDriver: (config, deps) => new Newport1830cDriver(deps.id, config, serialLineTransport(config, deps)),
  replyTimeoutMs: (config) => config.timeout_ms,
  createSimulator: (_config, lab) =>
    new LineSimulatorServer('Newport1830C', new Newport1830cSimProtocol(lab), {
      readTerminator: '\n',
      replyTerminator: '\n',
    }),
});
