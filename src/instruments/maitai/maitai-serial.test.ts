import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { maiTaiPowerW } from '../../sim/physics.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { type SocatPty, socatMissing, socatPty } from '../../transports/testing/socat-pty.ts';
import { startSimRig } from '../testing/sim-rig.ts';
import { maiTaiKind } from './kind.ts';

describe('MaiTai over a real serial port', () => {
  it(
    'drives the laser through a pseudo-terminal with XON/XOFF flow control (serialport)',
    {
      skip: socatMissing,
    },
    async () => {
      const clock = new ManualClock();
      const lab = new VirtualLab({ clock, seed: 2, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 20 });
      let pty: SocatPty | undefined;
      const rig = await startSimRig({
        kind: maiTaiKind,
        id: 'laser',
        lab,
        config: { baud: 115200, flow_control: 'xonxoff', timeout_ms: 2000, shutter_settle_ms: 0 },
        serialPortFor: async (port) => {
          pty = await socatPty(port);
          return pty.path;
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
        assert.ok(
          Math.abs(((await rig.instrument.read('power')).value as number) - maiTaiPowerW(850)) < 1e-3,
        );
        assert.ok(rig.server.received.includes('ON') && rig.server.received.includes('WAV 850'));
      } finally {
        await rig.close();
        await pty?.close();
      }
    },
  );
});
