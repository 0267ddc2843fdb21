import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SocatPty, socatMissing, socatPty } from '../../transports/testing/socat-pty.ts';
import { startEsp300Rig } from './esp300-test-rig.ts';

describe('ESP300 over a real serial port', () => {
  it(
    'drives the controller through a pseudo-terminal (serialport): move, completion, readback',
    {
      skip: socatMissing,
    },
    async () => {
      let pty: SocatPty | undefined;
      const rig = await startEsp300Rig({
        config: { axes: 1, timeout_ms: 2000 },
        serialPortFor: async (host, port) => {
          pty = await socatPty(port, host);
          return pty.path;
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
        await pty?.close();
      }
    },
  );
});
