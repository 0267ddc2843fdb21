import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../core/clock.ts';
import type { DriverContext } from '../../core/device.ts';
import { silentLogger } from '../../core/logger.ts';
import type { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { scpiKind } from './kind.ts';

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

const context = (): DriverContext => ({
  id: 'dmm',
  clock: systemClock,
  log: silentLogger(),
  lifetime: new AbortController().signal,
  linkLost: () => {},
  publish: () => {},
});

/** Waits for `path` to appear, checking a bounded number of times. */
async function appears(path: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 250 && child.exitCode === null; i++) {
    if (existsSync(path)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`socat did not create ${path}`);
}

describe('ScpiDriver over a serial port (ASRL resource)', () => {
  it('talks through a real pseudo-terminal bridged to the simulator', {
    skip: !hasSocat && 'socat not installed',
  }, async () => {
    const lab = new VirtualLab({
      clock: new ManualClock(),
      seed: 1,
      beamWaistMm: 0.5,
      knifeEdgeMm: 0,
      warmupS: 0,
    });
    const server = scpiKind.createSimulator!('dmm', {}, lab) as LineSimulatorServer;
    const { port } = await server.listen(0, '127.0.0.1');
    const dir = mkdtempSync(join(tmpdir(), 'scpi-pty-'));
    const link = join(dir, 'ttyDMM');
    const socat = spawn('socat', [`pty,raw,echo=0,link=${link}`, `tcp:127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    const driver = scpiKind.createDriver(
      'dmm',
      {
        resource: `ASRL${link}::INSTR`,
        baud: 115200,
        timeout_ms: 1000,
        signals: [{ name: 'range', query: 'VOLT:DC:RANG?', set: 'VOLT:DC:RANG {value}', unit: 'V' }],
      },
      { clock: systemClock, log: silentLogger() },
    );
    try {
      await appears(link, socat);
      const identity = await driver.connect(context());
      assert.equal(identity.model, 'SIM-DMM6500');
      const call = { ...context(), signal: new AbortController().signal };
      await driver.signals.range!.write!(100, call);
      assert.equal(await driver.signals.range!.read!(call), 100);
      assert.deepEqual(server.received, [
        '*IDN?',
        'SYST:ERR?',
        'VOLT:DC:RANG 100',
        'SYST:ERR?',
        'VOLT:DC:RANG?',
      ]);
    } finally {
      await driver.disconnect();
      socat.kill();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
