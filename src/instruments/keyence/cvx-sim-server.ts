import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import type { CvxSimProtocol } from './cvx-sim-protocol.ts';

/**
 * Hosts the simulator the way the controller frames lines: commands end in CR (an LF from a
 * CR LF host is ignored), replies and result lines end in CR, each result line its own write.
 */
export function cvxSimulatorServer(protocol: CvxSimProtocol): LineSimulatorServer {
  return new LineSimulatorServer('KeyenceCvx', protocol, { readTerminator: '\r|\n', replyTerminator: '\r' });
}
