import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { defineInstrument } from '../kind.ts';
import { serialLineTransport } from '../link-endpoint.ts';
import { MaiTaiConfig } from './config.ts';
import { MaiTaiDriver } from './maitai-driver.ts';
import { MaiTaiSimProtocol } from './maitai-sim.ts';

export const maiTaiKind = defineInstrument({
  type: 'MaiTai',
  configSchema: MaiTaiConfig,
  capabilities: [],
  createDriver: (config, deps) => new MaiTaiDriver(deps.id, config, serialLineTransport(config, deps)),
  replyTimeoutMs: (config) => config.timeout_ms,
  // The laser takes CR, LF or CR LF from the host and ends its replies with LF.
  createSimulator: (_config, lab) =>
    new LineSimulatorServer('MaiTai', new MaiTaiSimProtocol(lab), {
      readTerminator: '\r|\n',
      replyTerminator: '\n',
    }),
});
