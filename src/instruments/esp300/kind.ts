import { type LineProtocol, LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { defineInstrument } from '../kind.ts';
import { serialLineTransport } from '../link-endpoint.ts';
import { Esp300Config } from './config.ts';
import { Esp300Driver } from './esp300-driver.ts';
import { Esp300SimProtocol } from './esp300-sim-protocol.ts';

/**
 * Hosts the simulator the way the real controller frames lines: commands end in CR (a CR LF
 * host leaves an LF the protocol ignores), replies end in CR LF.
 */
export function esp300SimulatorServer(protocol: LineProtocol): LineSimulatorServer {
  return new LineSimulatorServer('ESP300', protocol, { readTerminator: '\r', replyTerminator: '\r\n' });
}

export const esp300Kind = defineInstrument({
  type: 'ESP300',
  configSchema: Esp300Config,
  capabilities: ['motor'],
  createDriver: (config, deps) => new Esp300Driver(deps.id, config, serialLineTransport(config, deps)),
  replyTimeoutMs: (config) => config.timeout_ms,
  createSimulator: (_config, lab) => esp300SimulatorServer(new Esp300SimProtocol(lab)),
});
