import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { memoryPipe } from '../../transports/memory-pipe.ts';
import { typedConfig } from '../kind.ts';
import { Newport1830cConfig } from './config.ts';
import { Newport1830cDriver } from './newport1830c-driver.ts';
import { Newport1830cSimProtocol } from './newport1830c-sim.ts';

describe('Newport1830C driver on an in-memory pipe (no socket, no simulator server)', () => {
  it('connects and reads through replies that arrive one byte at a time', async () => {
    const clock = new ManualClock();
    const lab = new VirtualLab({ clock, seed: 5, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 10 });
    const protocol = new Newport1830cSimProtocol(lab);
    const { transport, peer } = memoryPipe('memory:meter');
    let pending = '';
    peer.onData((chunk) => {
      pending += Buffer.from(chunk).toString('latin1');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const reply = protocol.handle(pending.slice(0, end).replace(/\r$/, ''));
        pending = pending.slice(end + 1);
        const lines = reply === undefined ? [] : Array.isArray(reply) ? reply : [reply];
        // The instrument answers after the command returns, byte by byte.
        queueMicrotask(() => {
          for (const byte of Buffer.from(lines.map((l) => `${l}\n`).join(''), 'latin1'))
            peer.send(Uint8Array.of(byte));
        });
      }
    });
    const config = typedConfig('Newport1830C', Newport1830cConfig, 'meter', { serial_port: '/dev/null' });
    const driver = new Newport1830cDriver('meter', config, () => transport);
    const { instrument, stop } = await spawnInstrument({
      id: 'meter',
      driver,
      bus: new EventBus<BenchtopEvents>(),
      clock,
    });
    try {
      assert.equal(instrument.state, 'ready');
      assert.match(instrument.identity?.raw ?? '', /^memory:meter: units W/);
      await instrument.write('wavelength', 900);
      assert.equal((await instrument.read('wavelength')).value, 900);
      assert.ok(peer.received.length > 3);
    } finally {
      await stop();
    }
  });
});
