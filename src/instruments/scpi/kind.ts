import { Value } from '@sinclair/typebox/value';
import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import type { InstrumentKind } from '../kind.ts';
import { ScpiConfig } from './config.ts';
import { ScpiDmmSimProtocol } from './scpi-dmm-sim-protocol.ts';
import { ScpiDriver } from './scpi-driver.ts';

/** Defaults filled in, so a driver built from a bare table behaves like one from a loaded file. */
function scpiConfig(config: Record<string, unknown>): ScpiConfig {
  return Value.Default(ScpiConfig, structuredClone(config)) as ScpiConfig;
}

/**
 * ScpiInstrument: any SCPI instrument by VISA resource. In simulation it talks to a SCPI DMM
 * on a raw socket that reads the lab's photodiode.
 */
export const scpiKind: InstrumentKind = {
  type: 'ScpiInstrument',
  createDriver: (id, config, deps) => new ScpiDriver(id, scpiConfig(config), deps),
  createSimulator: (_id, config, lab) =>
    new LineSimulatorServer('ScpiInstrument', new ScpiDmmSimProtocol(lab), {
      readTerminator: '\n',
      replyTerminator: scpiConfig(config).read_termination,
    }),
};
