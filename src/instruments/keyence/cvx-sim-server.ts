import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import type { CvxSimProtocol } from './cvx-sim-protocol.ts';

/**
 * Hosts the simulator the way the controller frames lines: commands end in CR (an LF from a
 * CR LF host is ignored), replies and result lines end in CR, each result line its own write.
 * `cvx` is the simulated controller, so whoever composes a simulated line can hand it the line
 * model's parts (`cvx.setPartSource`) or move it to another station.
 */
export class CvxSimulatorServer extends LineSimulatorServer {
  readonly cvx: CvxSimProtocol;

  constructor(protocol: CvxSimProtocol) {
    super('KeyenceCvx', protocol, { readTerminator: '\r|\n', replyTerminator: '\r' });
    this.cvx = protocol;
  }
}

export function cvxSimulatorServer(protocol: CvxSimProtocol): CvxSimulatorServer {
  return new CvxSimulatorServer(protocol);
}
