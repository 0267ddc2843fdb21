import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { maiTaiPowerW } from '../../sim/physics.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { startSimRig } from '../newport1830c/sim-rig.ts';
import { maiTaiKind } from './kind.ts';

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

/**
 * socat joins a new pseudo-terminal to the simulator's TCP port; resolves with the pty path
 * once socat logs that both ends are open (no timer involved).
 */
function ptyBridge(link: string, port: number): { path: Promise<string>; socat: ChildProcess } {
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const path = new Promise<string>((resolve, reject) => {
    let log = '';
    socat.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('starting data transfer loop')) resolve(link);
    });
    socat.once('exit', (code) =>
      reject(new Error(`socat exited (${code}) before the bridge was up:\n${log}`)),
    );
    socat.once('error', reject);
  });
  return { path, socat };
}

describe('MaiTai over a real serial port', () => {
  it('drives the laser through a pseudo-terminal with XON/XOFF flow control (serialport)', {
    skip: !hasSocat && 'socat not installed (apt-get install -y socat)',
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-maitai-'));
    const clock = new ManualClock();
    const lab = new VirtualLab({ clock, seed: 2, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 20 });
    let socat: ChildProcess | null = null;
    const rig = await startSimRig({
      kind: maiTaiKind,
      id: 'laser',
      lab,
      config: { baud: 115200, flow_control: 'xonxoff', timeout_ms: 2000, shutter_settle_ms: 0 },
      serialPortFor: (port) => {
        const bridge = ptyBridge(join(dir, 'ttyMaiTai'), port);
        socat = bridge.socat;
        return bridge.path;
      },
    });
    try {
      assert.equal(rig.instrument.state, 'ready');
      assert.equal(rig.instrument.identity?.model, 'Spectra Physics MaiTai');
      assert.equal(rig.server.connections, 1, 'the only client is socat, bridging the pty');
      await clock.advance(20_000);
      await rig.instrument.write('emission', true);
      await rig.instrument.write('wavelength', 850, { wait: false });
      await clock.advance(5_000);
      assert.equal((await rig.instrument.read('wavelength_actual')).value, 850);
      assert.ok(Math.abs(((await rig.instrument.read('power')).value as number) - maiTaiPowerW(850)) < 1e-3);
      assert.ok(rig.server.received.includes('ON') && rig.server.received.includes('WAV 850'));
    } finally {
      await rig.close();
      const child = socat as ChildProcess | null;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
