import { defineInstrument } from '../kind.ts';
import { KeyenceCvxConfig } from './config.ts';
import { KeyenceCvxDriver } from './cvx-driver.ts';
import { linePartSource } from './cvx-line-parts.ts';
import { CvxSimProtocol, defaultProgramTable, programFromOutputs } from './cvx-sim-protocol.ts';
import { cvxSimulatorServer } from './cvx-sim-server.ts';

/**
 * KeyenceCvx: a CV-X vision controller. Its simulator runs the default program table, with
 * SD1 program 000 replaced by one that emits exactly the configured outputs (so a simulated
 * instrument fits its own configuration); the other programs still change the result line.
 * It inspects the lab's production line: the part at its station is the line model's, the
 * same line the simulated LogixPlc runs.
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
    const parts = linePartSource(lab.productionLine());
    return cvxSimulatorServer(new CvxSimProtocol({ clock: lab.clock, programs, parts }));
  },
});
