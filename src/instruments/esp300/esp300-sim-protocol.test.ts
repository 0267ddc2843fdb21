import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { Esp300SimProtocol } from './esp300-sim-protocol.ts';
import { esp300SimulatorServer } from './kind.ts';

function rig() {
  const clock = new ManualClock();
  const lab = new VirtualLab({ clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  const sim = new Esp300SimProtocol(lab);
  /** One line in, the reply lines out ([] for none). */
  const say = (line: string) => sim.handle(line) ?? [];
  /** Every code in the error queue, read the way a host does (TE? until 0). */
  const drainErrors = () => {
    const codes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [code] = say('TE?');
      if (code === '0') break;
      codes.push(Number(code));
    }
    return codes;
  };
  return { clock, lab, sim, say, drainErrors };
}

describe('ESP300 simulator: motion', () => {
  it('identifies itself', () => {
    const { say } = rig();
    assert.deepEqual(say('VE?'), ['ESP300 Version 3.04 07/30/03']);
  });

  it('moves at the set velocity, reporting intermediate positions and motion done', async () => {
    const { clock, lab, say, drainErrors } = rig();
    assert.deepEqual(say('1VA2'), []);
    assert.deepEqual(say('1PA4'), []);
    assert.deepEqual(say('1MD?'), ['0']);
    assert.deepEqual(say('1DP?'), ['4.00000']);
    await clock.advance(1000);
    assert.deepEqual(say('1TP'), ['2.00000']);
    assert.deepEqual(say('1MD'), ['0']);
    await clock.advance(1000);
    assert.deepEqual(say('1TP?'), ['4.00000']);
    assert.deepEqual(say('1MD?'), ['1']);
    assert.equal(lab.axis(1).position(), 4);
    assert.deepEqual(drainErrors(), []);
  });

  it('axis 1 moves the knife edge; axes 2 and 3 move the camera pattern', async () => {
    const { clock, lab, say } = rig();
    const blocked = lab.knifeEdgeTransmission();
    say('1VA10;2VA10;3VA10;1PA2;2PA1;3PA-0.5');
    await clock.advance(1000);
    assert.ok(lab.knifeEdgeTransmission() > blocked);
    assert.deepEqual(lab.cameraScene().shiftXPx, 1 * lab.cameraPixelsPerMm);
    assert.deepEqual(lab.cameraScene().shiftYPx, -0.5 * lab.cameraPixelsPerMm);
  });

  it('accepts zero-padded axis numbers, lower case, spaces and ; command lists', async () => {
    const { clock, say, drainErrors } = rig();
    assert.deepEqual(say('01va 5 ; 02VA5;01PA1;02pa-1'), []);
    await clock.advance(1000);
    assert.deepEqual(say('1TP;2TP?;03TP'), ['1.00000', '-1.00000', '0.00000']);
    assert.deepEqual(drainErrors(), []);
  });

  it('moves relative to where it is', async () => {
    const { clock, say } = rig();
    say('1VA10;1PA2');
    await clock.advance(1000);
    say('1PR-0.5');
    await clock.advance(1000);
    assert.deepEqual(say('1TP'), ['1.50000']);
  });

  it('stops one axis mid-move (nST) and all axes (ST)', async () => {
    const { clock, say } = rig();
    say('1VA1;2VA1;3VA1;1PA10;2PA10;3PA10');
    await clock.advance(500);
    say('1ST');
    assert.deepEqual(say('1MD?;2MD?'), ['1', '0']);
    await clock.advance(500);
    say('ST');
    await clock.advance(1000);
    assert.deepEqual(say('1TP;2TP;3TP'), ['0.50000', '1.00000', '1.00000']);
    assert.deepEqual(say('1MD?;2MD?;3MD?'), ['1', '1', '1']);
  });

  it('homes to the home switch at 0, which PH reports', async () => {
    const { clock, say } = rig();
    say('2VA5;2PA5');
    await clock.advance(1000);
    assert.deepEqual(say('PH'), ['0H, 5H']);
    say('2OR');
    assert.deepEqual(say('2MD?'), ['0']);
    await clock.advance(500);
    assert.deepEqual(say('2TP'), ['2.50000']);
    await clock.advance(500);
    assert.deepEqual(say('2TP;2MD?'), ['0.00000', '1']);
    assert.deepEqual(say('02PH'), ['0H, 7H']);
  });

  it('reports and changes units (SN): positions and velocities follow', async () => {
    const { clock, lab, say } = rig();
    assert.deepEqual(say('1SN?'), ['2']);
    say('1SN3;1VA1000;1PA500');
    await clock.advance(1000);
    assert.equal(lab.axis(1).position(), 0.5);
    assert.deepEqual(say('1TP;1VA?'), ['500.00000', '1000.00000']);
    say('1SN4');
    assert.deepEqual(say('1SR?'), [(25 / 25.4).toFixed(5)]);
  });
});

describe('ESP300 simulator: errors', () => {
  it('queues the manual codes for bad commands (TE?), replying nothing', () => {
    const { say, drainErrors } = rig();
    assert.deepEqual(say('XX'), []);
    assert.deepEqual(say('1PA'), []);
    assert.deepEqual(say('1PAabc'), []);
    assert.deepEqual(say('9TP'), []);
    assert.deepEqual(say('TP'), []);
    assert.deepEqual(say('1VA0'), []);
    assert.deepEqual(say('1SN12'), []);
    assert.deepEqual(say('1OR9'), []);
    assert.deepEqual(say('$%'), []);
    assert.deepEqual(drainErrors(), [6, 38, 7, 9, 37, 7, 7, 7, 6]);
  });

  it('refuses a velocity above VU with x10 and keeps the old one', () => {
    const { say, drainErrors } = rig();
    say('1VU5;1VA10');
    assert.deepEqual(drainErrors(), [110]);
    assert.deepEqual(say('1VA?;1VU?'), ['2.50000', '5.00000']);
  });

  it('refuses moves past the software limits (SL/SR) with x06/x07 and does not move', () => {
    const { lab, say, drainErrors } = rig();
    say('1SL-5;1SR5');
    assert.deepEqual(say('1SL?;1SR?'), ['-5.00000', '5.00000']);
    say('1PA6');
    say('1PA-6');
    say('1PR5.5');
    assert.deepEqual(drainErrors(), [106, 107, 106]);
    assert.equal(lab.axis(1).isMoving(), false);
    assert.equal(lab.axis(1).position(), 0);
  });

  it('with the motor off (MF) a move fails with x13; MO turns it back on', async () => {
    const { clock, say, drainErrors } = rig();
    say('3MF');
    assert.deepEqual(say('3MO?'), ['0']);
    say('3PA1');
    say('3OR');
    assert.deepEqual(drainErrors(), [313, 313]);
    say('3MO;3VA10;3PA1');
    await clock.advance(1000);
    assert.deepEqual(say('3MO?;3TP'), ['1', '1.00000']);
  });

  it('a stage that is not connected fails motion with x08, also mid-move', async () => {
    const { clock, lab, sim, say, drainErrors } = rig();
    say('1VA1;1PA5');
    await clock.advance(1000);
    sim.disconnectStage(1);
    assert.equal(lab.axis(1).isMoving(), false);
    sim.disconnectStage(2);
    say('2PA1');
    say('2MO');
    assert.deepEqual(say('2MO?;ZU'), ['0', '4H']);
    assert.deepEqual(drainErrors(), [108, 208, 208]);
    sim.connectStage(2);
    say('2PA1');
    assert.deepEqual(drainErrors(), []);
    await clock.advance(5000);
    assert.deepEqual(say('1TP;2TP'), ['1.00000', '1.00000']);
  });

  it('TB? reports code, timestamp and message, then 0 NO ERROR DETECTED', async () => {
    const { clock, sim, say } = rig();
    await clock.advance(1234);
    sim.disconnectStage(1);
    say('1PA1');
    assert.deepEqual(say('TB?'), ['108, 1234, MOTOR / STAGE NOT CONNECTED']);
    assert.deepEqual(say('TB'), ['0, 1234, NO ERROR DETECTED']);
  });

  it('keeps the last 10 errors', () => {
    const { say, sim } = rig();
    for (let i = 0; i < 12; i++) say(i < 2 ? 'XX' : '9TP');
    assert.deepEqual(sim.pendingErrors(), Array(10).fill(9));
  });

  it('RS resets errors, units, limits and motors', () => {
    const { say, drainErrors } = rig();
    say('XX;1SN3;1SR1;1MF');
    say('RS');
    assert.deepEqual(drainErrors(), []);
    assert.deepEqual(say('1SN?;1SR?;1MO?'), ['2', '25.00000', '1']);
  });

  it('sends a queued "E" notice ahead of the next reply', () => {
    const { sim, say } = rig();
    sim.queueNotice('E38, COMMAND PARAMETER MISSING');
    assert.deepEqual(say('1TP'), ['E38, COMMAND PARAMETER MISSING', '0.00000']);
    assert.deepEqual(say('1TP'), ['0.00000']);
  });
});

describe('ESP300 simulator over TCP', () => {
  it('accepts CR or CR LF terminated commands, split anywhere, and replies with CR LF', async () => {
    const clock = new ManualClock();
    const lab = new VirtualLab({ clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
    const server = esp300SimulatorServer(new Esp300SimProtocol(lab));
    const { host, port } = await server.listen(0, '127.0.0.1');
    const socket = connect(port, host);
    try {
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
      });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const expected = '0.00000\r\n1\r\nESP300 Version 3.04 07/30/03\r\n0\r\n';
      for (const chunk of ['1T', 'P\r', '\n1M', 'D?\r\nVE', '?\r', 'TE?\r']) socket.write(chunk);
      for (let i = 0; i < 200 && received.length < expected.length; i++) {
        await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      }
      assert.equal(received, expected);
      assert.deepEqual(server.received, ['1TP', '\n1MD?', '\nVE?', 'TE?']);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
