import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InstrumentManager } from '../../app/instrument-manager.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { Supervisor } from '../../core/supervisor.ts';
import { testRestartPolicy } from '../../core/testing/instrument-harness.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import type { ModbusSimServer } from './modbus-sim-server.ts';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops) await s();
});

describe('ModbusPlc link loss, the way `benchtop start` runs config/ald.toml', () => {
  it('marks every point invalid, fails the PLC once, reconnects and reads everything again', async () => {
    const { config } = loadBenchtopConfig({
      file: new URL('../../../config/ald.toml', import.meta.url).pathname,
      env: {},
    });
    config.simulation.ports.plc = 0; // any free port
    config.instruments[0]!.poll_interval_ms = 100;
    const bus = new EventBus<BenchtopEvents>();
    const supervisor = new Supervisor({
      clock: systemClock,
      mailboxCapacity: 16,
      spawnTimeoutMs: 10_000,
      shutdownTimeoutMs: 5_000,
      policy: testRestartPolicy,
      onStateChange: (c) => bus.emit('actor.state', c),
    });
    const lab = new VirtualLab({ clock: systemClock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
    const manager = new InstrumentManager({
      config,
      bus,
      supervisor,
      clock: systemClock,
      logger: silentLogger(),
      lab,
    });
    stops.push(async () => {
      await supervisor.stopAll();
      await manager.closeSimulators();
    });
    const names = (config.instruments[0]!.config.points as { name: string }[]).map((p) => p.name);
    const seen = (quality: Reading['quality']) => {
      const got = new Set<string>();
      return new Promise<void>((resolve) => {
        const off = bus.on('instrument.reading', (r) => {
          if (r.instrument !== 'plc' || r.quality !== quality) return;
          got.add(r.signal);
          if (got.size === names.length) {
            off();
            resolve();
          }
        });
      });
    };
    const firstPoll = seen('good');
    await manager.startAll();
    await firstPoll;
    const states: string[] = [];
    bus.on('actor.state', (c) => c.id === 'plc' && states.push(c.state));
    const invalid = seen('invalid');
    const ready = bus.once('actor.state', (c) => c.id === 'plc' && c.state === 'ready');
    (manager.simulator('plc') as ModbusSimServer).dropConnections();
    await invalid;
    await ready;
    await seen('good');
    assert.equal(
      states.filter((s) => s === 'failed').length,
      1,
      `one failure for the PLC: ${states.join(', ')}`,
    );
    assert.equal(manager.get('plc').state, 'ready');
  });
});
