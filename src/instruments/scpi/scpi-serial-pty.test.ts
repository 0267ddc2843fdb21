import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../core/clock.ts';
import type { DriverContext } from '../../core/device.ts';
import { silentLogger } from '../../core/logger.ts';
import type { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { socatMissing, socatPty } from '../../transports/testing/socat-pty.ts';
import { scpiKind } from './kind.ts';

const context = (): DriverContext => ({
  id: 'dmm',
  clock: systemClock,
  log: silentLogger(),
  lifetime: new AbortController().signal,
  linkLost: () => {},
  publish: () => {},
});

describe('ScpiDriver over a serial port (ASRL resource)', () => {
  it(
    'talks through a real pseudo-terminal bridged to the simulator',
    {
      skip: socatMissing,
    },
    async () => {
      const lab = new VirtualLab({
        clock: new ManualClock(),
        seed: 1,
        beamWaistMm: 0.5,
        knifeEdgeMm: 0,
        warmupS: 0,
      });
      const server = scpiKind.createSimulator!('dmm', {}, lab) as LineSimulatorServer;
      const { port } = await server.listen(0, '127.0.0.1');
      const pty = await socatPty(port);
      const driver = scpiKind.createDriver(
        'dmm',
        {
          resource: `ASRL${pty.path}::INSTR`,
          baud: 115200,
          timeout_ms: 1000,
          signals: [{ name: 'range', query: 'VOLT:DC:RANG?', set: 'VOLT:DC:RANG {value}', unit: 'V' }],
        },
        { clock: systemClock, log: silentLogger() },
      );
      try {
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
        await pty.close();
        await server.close();
      }
    },
  );
});
