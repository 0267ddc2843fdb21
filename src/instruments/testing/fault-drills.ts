import assert from 'node:assert/strict';
import { type ErrorCode, isBenchtopError } from '../../core/errors.ts';
import type { SimulatorFault } from '../../sim/line-simulator-server.ts';
import type { SimRig } from './sim-rig.ts';

export interface FaultDrill {
  title: string;
  fault: SimulatorFault;
  code: ErrorCode;
}

/**
 * Wire faults every line-protocol driver must turn into a clear error and a reconnect. The
 * delay outlasts the rig's 1 s command timeout.
 */
export const replyFaultDrills: FaultDrill[] = [
  { title: 'garbage reply → PROTOCOL_ERROR, reconnect', fault: { kind: 'garbage' }, code: 'PROTOCOL_ERROR' },
  {
    title: 'truncated reply → INSTRUMENT_TIMEOUT, reconnect',
    fault: { kind: 'truncate' },
    code: 'INSTRUMENT_TIMEOUT',
  },
  {
    title: 'reply after the timeout → INSTRUMENT_TIMEOUT, reconnect',
    fault: { kind: 'delay', ms: 1500 },
    code: 'INSTRUMENT_TIMEOUT',
  },
  {
    title: 'connection dropped mid-command → LINK_LOST, reconnect',
    fault: { kind: 'disconnect' },
    code: 'LINK_LOST',
  },
];

/**
 * Switches `fault` on in the simulator, expects a read of `signal` and the actor to fail with
 * `code`, then clears the fault and resolves once the actor has reconnected.
 */
export async function faultThenRecover(rig: SimRig, drill: Omit<FaultDrill, 'title'>, signal: string) {
  const { fault, code } = drill;
  const failed = rig.nextState('failed');
  const ready = rig.nextState('ready');
  rig.server.setFault(fault);
  await assert.rejects(rig.instrument.read(signal), (e) => isBenchtopError(e, code), fault.kind);
  assert.equal((await failed).error?.code, code);
  rig.server.setFault({ kind: 'none' });
  await ready;
}

/**
 * Switches the instrument off (closes its simulator) and on again on the same port: the actor
 * restarts with LINK_LOST, each of `whileOff` fails fast with INSTRUMENT_UNAVAILABLE meanwhile,
 * and this resolves once the actor has reconnected.
 */
export async function powerCycle(rig: SimRig, whileOff: (() => Promise<unknown>)[]) {
  const restarting = rig.nextState('restarting');
  await rig.stopSimulator();
  assert.equal((await restarting).error?.code, 'LINK_LOST');
  for (const command of whileOff) {
    await assert.rejects(command(), (e) => isBenchtopError(e, 'INSTRUMENT_UNAVAILABLE'));
  }
  const ready = rig.nextState('ready');
  await rig.startSimulator();
  await ready;
}
