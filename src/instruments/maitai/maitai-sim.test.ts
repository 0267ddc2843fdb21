import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { maiTaiPowerW } from '../../sim/physics.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { maiTaiKind } from './kind.ts';
import { MaiTaiSimProtocol } from './maitai-sim.ts';

function setup() {
  const clock = new ManualClock();
  const lab = new VirtualLab({ clock, seed: 3, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 20 });
  const laser = new MaiTaiSimProtocol(lab);
  return { clock, lab, laser, ask: (line: string) => laser.handle(line) };
}

describe('Mai Tai simulator: command forms', () => {
  it('accepts short and long forms in any case; setters answer nothing', () => {
    const { ask } = setup();
    assert.equal(ask('*IDN?'), 'Spectra Physics,MaiTai,3417,0245-2.00.34');
    assert.equal(ask('WAV?'), '800nm');
    assert.equal(ask('wavelength?'), '800nm');
    assert.equal(ask('WAVelength:MINimum?'), '690nm');
    assert.equal(ask('wav:max?'), '1040nm');
    assert.equal(ask('READ:PCTWarmedup?'), '0%');
    assert.equal(ask('read:hum?'), '3.2%');
    assert.equal(ask('SHUT?'), '0');
    assert.equal(ask('SHUTTER 1'), undefined);
    assert.equal(ask('shut?'), '1');
    assert.equal(ask('TIMER:WATCHDOG 0'), undefined);
    assert.equal(ask('TIMER:WATCH?'), '0s');
  });

  it('refuses what it does not understand with an Error line', () => {
    const { ask } = setup();
    for (const bad of [
      'WAVE?',
      'FOO',
      'READ:WAV',
      'SHUT 2',
      'SHUT',
      'WAV abc',
      'WAV 500',
      'WAV 1100',
      'TIMER:WATCHDOG -1',
    ]) {
      assert.match(ask(bad) ?? '', /Error/, bad);
    }
    assert.equal(ask('WAV?'), '800nm', 'refused setters changed nothing');
  });
});

describe('Mai Tai simulator: the laser in the virtual lab', () => {
  it('refuses ON until warmed up, then reports emission in *STB?', async () => {
    const { clock, ask, lab } = setup();
    await clock.advance(10_000);
    assert.equal(ask('READ:PCTW?'), '50%');
    assert.match(ask('ON') ?? '', /Error/);
    assert.equal(lab.laser.emission, false);
    assert.equal(ask('*STB?'), '0');
    await clock.advance(10_000);
    assert.equal(ask('READ:PCTW?'), '100%');
    assert.equal(ask('ON'), undefined);
    assert.equal(ask('*STB?'), '3', 'emission on and mode-locked');
    assert.equal(ask('OFF'), undefined);
    assert.equal(ask('*STB?'), '0');
  });

  it('tunes at a finite rate: READ:WAV? lags WAV? and mode-lock is lost meanwhile', async () => {
    const { clock, ask } = setup();
    await clock.advance(20_000);
    ask('ON');
    assert.equal(ask('WAV 900'), undefined);
    assert.equal(ask('WAV?'), '900nm');
    assert.equal(ask('READ:WAV?'), '800nm');
    assert.equal(ask('*STB?'), '1');
    await clock.advance(1_000);
    assert.equal(ask('READ:WAV?'), '840nm');
    await clock.advance(1_500);
    assert.equal(ask('READ:WAV?'), '900nm');
    assert.equal(ask('*STB?'), '3');
  });

  it('reports power from the gain curve once emitting', async () => {
    const { clock, ask } = setup();
    await clock.advance(20_000);
    assert.equal(ask('READ:POW?'), '0.000W');
    ask('ON');
    assert.equal(ask('READ:POW?'), `${maiTaiPowerW(800).toFixed(3)}W`);
    ask('WAV 1000');
    await clock.advance(10_000);
    assert.equal(ask('READ:POW?'), `${maiTaiPowerW(1000).toFixed(3)}W`);
  });

  it('the shutter lets light out only after its travel time', async () => {
    const { clock, ask, lab } = setup();
    await clock.advance(20_000);
    ask('ON');
    ask('SHUT 1');
    assert.equal(lab.laser.outputPowerW(), 0);
    await clock.advance(799);
    assert.equal(lab.laser.outputPowerW(), 0);
    await clock.advance(1);
    assert.ok(lab.laser.outputPowerW() > 2);
  });
});

describe('Mai Tai simulator on TCP', () => {
  it('takes CR, LF or CR LF from the host and answers with LF', async () => {
    const clock = new ManualClock();
    const lab = new VirtualLab({ clock, seed: 3, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 20 });
    const server = maiTaiKind.createSimulator!('laser', {}, lab);
    const { port } = await server.listen(0, '127.0.0.1');
    const socket = new Socket();
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(port, '127.0.0.1', resolve);
      });
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
      });
      socket.write('WAV?\rSHUT?\nREAD:HUM?\r\n*STB?\r');
      for (let i = 0; i < 500 && received.split('\n').length < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(received, '800nm\n0\n3.2%\n0\n');
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
