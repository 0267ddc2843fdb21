import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startEsp300Rig } from './esp300-test-rig.ts';

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

/**
 * Bridges a new pseudo-terminal to the simulator's TCP port with socat and resolves with the
 * pty's path once socat reports both ends open (its `-d -d` log says "starting data transfer
 * loop"), so nothing waits on a timer.
 */
function ptyBridge(dir: string, host: string, port: number): { path: Promise<string>; socat: ChildProcess } {
  const link = join(dir, 'ttyESP');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${link}`, `tcp:${host}:${port}`], {
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

describe('ESP300 over a real serial port', () => {
  it('drives the controller through a pseudo-terminal (serialport): move, completion, readback', {
    skip: !hasSocat && 'socat not installed (apt-get install -y socat)',
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-esp300-'));
    let socat: ChildProcess | null = null;
    const rig = await startEsp300Rig({
      config: { axes: 1, timeout_ms: 2000 },
      serialPortFor: (host, port) => {
        const bridge = ptyBridge(dir, host, port);
        socat = bridge.socat;
        return bridge.path;
      },
    });
    try {
      assert.equal(rig.instrument.identity?.model, 'ESP300');
      assert.equal(rig.server.connections, 1, 'the only client is socat, bridging the pty');
      await rig.instrument.write('axis1.velocity', 10);
      let settled = false;
      const move = rig.instrument.write('axis1.position', 3).finally(() => {
        settled = true;
      });
      const during: number[] = [];
      for (let i = 0; i < 20_000 && !settled; i++) {
        const value = (await rig.instrument.read('axis1.position')).value as number;
        if (!settled) during.push(value);
      }
      await move;
      assert.equal(rig.lab.axis(1).isMoving(), false);
      assert.ok(
        during.some((p) => p > 0 && p < 3),
        'intermediate positions were read over the pty',
      );
      assert.equal((await rig.instrument.read('axis1.position')).value, 3);
      assert.ok(
        rig.wire.includes('VE?') && rig.wire.includes('1SN2;1SL-25;1SR25') && rig.wire.includes('1PA3'),
      );
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
