import { defineInstrument } from '../kind.ts';
import { KeyenceCvxConfig } from './config.ts';
import { KeyenceCvxDriver } from './cvx-driver.ts';
import { CvxSimProtocol, defaultProgramTable, programFromOutputs } from './cvx-sim-protocol.ts';
import { cvxSimulatorServer } from './cvx-sim-server.ts';

/**
 * KeyenceCvx: a CV-X vision controller. Its simulator runs the default program table, with
 * SD1 program 000 replaced by one that emits exactly the configured outputs (so a simulated
 * instrument fits its own configuration); the other programs still change the result line.
 */
export const keyenceCvxKind = defineInstrument({
  type: 'KeyenceCvx',
  configSchema: KeyenceCvxConfig,
  capabilities: [],
  createDriver: (config, deps) => new KeyenceCvxDriver(deps.id, config, deps),
  replyTimeoutMs: (config) => config.timeout_ms,
  createSimulator: ({ outputs }, lab) => {
    const programs = defaultProgramTable();
    if (outputs.length > 0) programs['1:000'] = programFromOutputs(outputs);
    return cvxSimulatorServer(new CvxSimProtocol({ clock: lab.clock, programs }));
  },
});
