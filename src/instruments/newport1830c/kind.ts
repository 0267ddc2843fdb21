import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import type { InstrumentKind } from '../kind.ts';
import { Newport1830cDriver } from './newport1830c-driver.ts';
import { Newport1830cSimProtocol } from './newport1830c-sim.ts';

export const newport1830cKind: InstrumentKind = {
  type: 'Newport1830C',
  createDriver: (id, config, deps) => new Newport1830cDriver(id, config, deps),
  createSimulator: (_id, _config, lab) =>
    new LineSimulatorServer('Newport1830C', new Newport1830cSimProtocol(lab), {
      readTerminator: '\n',
      replyTerminator: '\n',
    }),
};
