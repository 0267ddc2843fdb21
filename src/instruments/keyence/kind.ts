import { Value } from '@sinclair/typebox/value';
import { BenchtopError } from '../../core/errors.ts';
import type { InstrumentKind } from '../kind.ts';
import { KeyenceCvxConfig } from './config.ts';
import { KeyenceCvxDriver } from './cvx-driver.ts';
import { CvxSimProtocol, defaultProgramTable, programFromOutputs } from './cvx-sim-protocol.ts';
import { cvxSimulatorServer } from './cvx-sim-server.ts';

/** The `config` table with defaults filled in; the config loader has validated it already, this guards direct callers. */
export function keyenceCvxConfig(id: string, raw: Record<string, unknown>): KeyenceCvxConfig {
  const config = Value.Default(KeyenceCvxConfig, structuredClone(raw));
  if (!Value.Check(KeyenceCvxConfig, config)) {
    const problems = [...Value.Errors(KeyenceCvxConfig, config)].map((e) => `${e.path || '/'} ${e.message}`);
    throw new BenchtopError('CONFIG_INVALID', `${id}: invalid KeyenceCvx config: ${problems.join('; ')}`, {
      instrument: id,
      problems,
    });
  }
  return config;
}

/**
 * KeyenceCvx: a CV-X vision controller. Its simulator runs the default program table, with
 * SD1 program 000 replaced by one that emits exactly the configured outputs (so a simulated
 * instrument fits its own configuration); the other programs still change the result line.
 */
export const keyenceCvxKind: InstrumentKind = {
  type: 'KeyenceCvx',
  createDriver: (id, config, deps) => new KeyenceCvxDriver(id, keyenceCvxConfig(id, config), deps),
  createSimulator: (id, raw, lab) => {
    const { outputs } = keyenceCvxConfig(id, raw);
    const programs = defaultProgramTable();
    if (outputs.length > 0) programs['1:000'] = programFromOutputs(outputs);
    return cvxSimulatorServer(new CvxSimProtocol({ clock: lab.clock, programs }));
  },
};
