import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../core/bus.ts';
import { systemClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { Supervisor } from '../core/supervisor.ts';
import { instrumentKinds } from '../instruments/catalog.ts';
import { VirtualLab } from '../sim/virtual-lab.ts';
import { InstrumentManager, pollPhases, START_BATCH } from './instrument-manager.ts';
import { loadBenchtopConfig } from './load-benchtop-config.ts';

describe('InstrumentManager start-up', () => {
  it('starts instruments in batches, letting the event loop run between them', async () => {
    const n = START_BATCH * 3;
    let toml = '[simulation]\nenabled = true\nwarmup_s = 0\n';
    for (let i = 0; i < n; i++)
      toml += `[[instruments]]\nid = "m${i}"\ntype = "Newport1830C"\npoll_interval_ms = 0\nconfig = { serial_port = "/dev/ttyUSB${i}" }\n`;
    const config = loadBenchtopConfig({ text: toml }).config;
    const bus = new EventBus<BenchtopEvents>();
    const supervisor = new Supervisor({
      clock: systemClock,
      mailboxCapacity: 10,
      spawnTimeoutMs: 5000,
      shutdownTimeoutMs: 1000,
      policy: { maxRestarts: 0, windowMs: 1000, initialBackoffMs: 10, maxBackoffMs: 10, jitter: 0 },
      onStateChange: (change) => bus.emit('actor.state', change),
    });
    const lab = new VirtualLab({ clock: systemClock, seed: 1, beamWaistMm: 1, knifeEdgeMm: 0, warmupS: 0 });
    const manager = new InstrumentManager({
      config,
      bus,
      supervisor,
      clock: systemClock,
      logger: silentLogger(),
      lab,
    });
    // Count the starts begun (a simulator is made first, synchronously) before the loop gets a turn.
    const kind = instrumentKinds.Newport1830C!;
    const createSimulator = kind.createSimulator!;
    let begun = 0;
    kind.createSimulator = (...args) => {
      begun++;
      return createSimulator(...args);
    };
    try {
      // Queued before startAll's own yield, so it runs at the first turn startAll gives up.
      const firstTurn = new Promise<number>((resolve) => setImmediate(() => resolve(begun)));
      const started = manager.startAll();
      const atFirstTurn = await firstTurn;
      await started;
      assert.equal(atFirstTurn, START_BATCH, 'one batch, then the event loop ran');
      assert.equal(begun, n);
      assert.equal(manager.list().length, n);
    } finally {
      kind.createSimulator = createSimulator;
      await supervisor.stopAll();
      await manager.closeSimulators();
    }
  });
});

describe('pollPhases', () => {
  const entry = (id: string, poll_interval_ms: number) => ({ id, poll_interval_ms }) as never;
  it('spreads instruments sharing an interval evenly over it, in configuration order', () => {
    const phases = pollPhases([
      entry('a', 1000),
      entry('b', 1000),
      entry('c', 200),
      entry('d', 1000),
      entry('e', 1000),
      entry('off', 0),
      entry('off2', 0),
    ]);
    assert.deepEqual(Object.fromEntries(phases), { a: 0, b: 250, d: 500, e: 750 });
  });
});
