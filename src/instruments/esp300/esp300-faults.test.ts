import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ActorState } from '../../core/actor-state.ts';
import { type ErrorCode, isBenchtopError } from '../../core/errors.ts';
import type { SimulatorFault } from '../../sim/line-simulator-server.ts';
import { type Esp300Rig, startEsp300Rig } from './esp300-test-rig.ts';

/** True if `states` contains `expected` in this order (other states may come between). */
function inOrder(states: ActorState[], expected: ActorState[]): boolean {
  let i = 0;
  for (const s of states) if (s === expected[i]) i++;
  return i === expected.length;
}

describe('ESP300 faults: every one is a clear error, a reconnect, never a wedged actor', () => {
  let rig: Esp300Rig;
  before(async () => {
    rig = await startEsp300Rig({ config: { axes: 2, timeout_ms: 300 } });
    await rig.instrument.write('axis1.velocity', 20);
    await rig.instrument.write('axis1.position', 1.5);
  });
  after(() => rig.close());

  /**
   * Switches `fault` on, checks the next read fails with `code`, that reads while the actor is
   * down fail fast with INSTRUMENT_UNAVAILABLE, that reconnecting keeps failing while the fault
   * lasts, and that once it is gone the actor is ready and reads the right value again.
   */
  async function faultAndRecover(fault: SimulatorFault, code: ErrorCode) {
    const mark = rig.states.length;
    const failed = rig.nextState('failed');
    rig.server.setFault(fault);
    await assert.rejects(rig.instrument.read('axis1.position'), (e) => isBenchtopError(e, code));
    assert.equal((await failed).error?.code, code);
    await assert.rejects(rig.instrument.read('axis1.position'), (e) =>
      isBenchtopError(e, 'INSTRUMENT_UNAVAILABLE'),
    );
    // The reconnect meets the same fault and fails again; the supervisor keeps trying.
    await rig.nextState('failed');
    const ready = rig.nextState('ready');
    rig.server.setFault({ kind: 'none' });
    await ready;
    assert.ok(
      inOrder(
        rig.states.slice(mark).map((s) => s.state),
        ['failed', 'restarting', 'starting', 'failed', 'restarting', 'starting', 'ready'],
      ),
    );
    assert.equal((await rig.instrument.read('axis1.position')).value, 1.5);
  }

  it('a garbage reply is PROTOCOL_ERROR', () => faultAndRecover({ kind: 'garbage' }, 'PROTOCOL_ERROR'));

  it('a truncated reply (no terminator) is INSTRUMENT_TIMEOUT', () =>
    faultAndRecover({ kind: 'truncate' }, 'INSTRUMENT_TIMEOUT'));

  it('a reply after the timeout is INSTRUMENT_TIMEOUT, and the late reply is never taken for a later answer', () =>
    faultAndRecover({ kind: 'delay', ms: 600 }, 'INSTRUMENT_TIMEOUT'));

  it('a connection dropped mid-command is LINK_LOST', () =>
    faultAndRecover({ kind: 'disconnect' }, 'LINK_LOST'));

  it('a connection dropped while a move is being awaited fails the move with LINK_LOST', async () => {
    await rig.instrument.write('axis2.velocity', 1);
    const move = rig.instrument.write('axis2.position', 10);
    move.catch(() => {});
    for (let i = 0; i < 20_000; i++) {
      if (((await rig.instrument.read('axis2.position')).value as number) > 0.02) break;
    }
    const ready = rig.nextState('ready');
    rig.server.setFault({ kind: 'disconnect' });
    await assert.rejects(move, (e) => isBenchtopError(e, 'LINK_LOST'));
    rig.server.setFault({ kind: 'none' });
    await ready;
    // The controller kept moving while the link was down; stopping works on the new link.
    await rig.instrument.call('axis2.stop');
    assert.equal(rig.lab.axis(2).isMoving(), false);
  });

  it('the simulator closed and restarted on the same port: LINK_LOST, unavailable meanwhile, then ready', async () => {
    const mark = rig.states.length;
    const failed = rig.nextState('failed');
    await rig.stopSimulator();
    assert.equal((await failed).error?.code, 'LINK_LOST');
    await assert.rejects(rig.instrument.write('axis1.position', 2), (e) =>
      isBenchtopError(e, 'INSTRUMENT_UNAVAILABLE'),
    );
    const refused = await rig.nextState('failed');
    assert.equal(refused.error?.code, 'LINK_LOST', 'reconnecting to a closed port fails and is retried');
    const ready = rig.nextState('ready');
    await rig.restartSimulator();
    await ready;
    assert.ok(
      inOrder(
        rig.states.slice(mark).map((s) => s.state),
        ['failed', 'restarting', 'failed', 'ready'],
      ),
    );
    await rig.instrument.write('axis1.position', 2);
    assert.equal((await rig.instrument.read('axis1.position')).value, 2);
  });
});
