import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import type { InstrumentKind } from '../kind.ts';
import { MaiTaiDriver } from './maitai-driver.ts';
import { MaiTaiSimProtocol } from './maitai-sim.ts';

export const maiTaiKind: InstrumentKind = {
  type: 'MaiTai',
  createDriver: (id, config, deps) => new MaiTaiDriver(id, config, deps),
  // The laser takes CR, LF or CR LF from the host and ends its replies with LF.
  createSimulator: (_id, _config, lab) =>
    new LineSimulatorServer('MaiTai', new MaiTaiSimProtocol(lab), {
      readTerminator: '\r|\n',
      replyTerminator: '\n',
    }),
};
