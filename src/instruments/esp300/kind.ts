import { Value } from '@sinclair/typebox/value';
import { BenchtopError } from '../../core/errors.ts';
import { type LineProtocol, LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import type { InstrumentKind } from '../kind.ts';
import { Esp300Config } from './config.ts';
import { Esp300Driver } from './esp300-driver.ts';
import { Esp300SimProtocol } from './esp300-sim-protocol.ts';

/** The `config` table with defaults filled in; the config loader has validated it already, this guards direct callers. */
export function esp300Config(id: string, raw: Record<string, unknown>): Esp300Config {
  const config = Value.Default(Esp300Config, structuredClone(raw));
  if (!Value.Check(Esp300Config, config)) {
    const problems = [...Value.Errors(Esp300Config, config)].map((e) => `${e.path || '/'} ${e.message}`);
    throw new BenchtopError('CONFIG_INVALID', `${id}: invalid ESP300 config: ${problems.join('; ')}`, {
      instrument: id,
      problems,
    });
  }
  return config;
}

/**
 * Hosts the simulator the way the real controller frames lines: commands end in CR (a CR LF
 * host leaves an LF the protocol ignores), replies end in CR LF.
 */
export function esp300SimulatorServer(protocol: LineProtocol): LineSimulatorServer {
  return new LineSimulatorServer('ESP300', protocol, { readTerminator: '\r', replyTerminator: '\r\n' });
}

export const esp300Kind: InstrumentKind = {
  type: 'ESP300',
  createDriver: (id, config, deps) => new Esp300Driver(id, esp300Config(id, config), deps),
  createSimulator: (_id, _config, lab) => esp300SimulatorServer(new Esp300SimProtocol(lab)),
};
