import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { RunEvent } from '../core/documents.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { Supervisor } from '../core/supervisor.ts';
import { spawnInstrument } from '../core/testing/instrument-harness.ts';
import { RunEngine } from '../engine/run-engine.ts';
import type { RunStateChange } from '../engine/run-events.ts';
import { MemoryWriter, runClockUntil } from '../engine/testing/fake-lab.ts';
import { newport1830cKind } from '../instruments/newport1830c/kind.ts';
import type { LineSimulatorServer } from '../sim/line-simulator-server.ts';
import { VirtualLab } from '../sim/virtual-lab.ts';
import { loadBenchtopConfig } from './load-benchtop-config.ts';

/**
 * The probe: a 60 s time_series of the 1830-C (its real driver over TCP to its wire
 * simulator) whose serial link drops for 3 s every 10 s, with Benchtop's default [engine] and
 * [actors] settings, on the ManualClock. It used to end after 7 s with fail.
 */
describe('a time_series of the 1830-C survives its serial link dropping for 3 s every 10 s', () => {
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const { config } = loadBenchtopConfig({ text: '' });
  const lab = new VirtualLab({ clock, seed: 3, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  let server: LineSimulatorServer;
  let engine: RunEngine;
  let stop: () => Promise<void>;
  const states: RunStateChange[] = [];

  before(async () => {
    server = newport1830cKind.createSimulator!('meter', {}, lab) as LineSimulatorServer;
    const { port } = await server.listen(0, '127.0.0.1');
    const { actors } = config;
    const supervisor = new Supervisor({
      clock,
      mailboxCapacity: actors.default_mailbox_capacity,
      spawnTimeoutMs: actors.spawn_timeout_ms,
      shutdownTimeoutMs: actors.shutdown_timeout_ms,
      policy: {
        maxRestarts: actors.max_restarts,
        windowMs: actors.restart_window_ms,
        initialBackoffMs: actors.restart_backoff_initial_ms,
        maxBackoffMs: actors.restart_backoff_max_ms,
        jitter: 0,
      },
      faultedRetryMs: actors.faulted_retry_ms,
      stableAfterMs: actors.restart_reset_after_ms,
      onStateChange: (change) => bus.emit('actor.state', change),
    });
    const driver = newport1830cKind.createDriver(
      'meter',
      { serial_port: `tcp://127.0.0.1:${port}`, timeout_ms: 1000 },
      { clock, log: silentLogger() },
    );
    const spawned = await spawnInstrument({
      id: 'meter',
      driver,
      bus,
      clock,
      supervisor,
      askTimeoutMs: 3000,
    });
    stop = spawned.stop;
    const instrument = spawned.instrument;
    assert.equal(instrument.state, 'ready');
    engine = new RunEngine({
      instruments: { get: () => instrument, list: () => [instrument] },
      bus,
      clock,
      writerFactory: (_start, report) => new MemoryWriter(report),
      onInstrumentUnavailable: config.engine.on_instrument_unavailable,
      suspendTimeoutS: config.engine.suspend_timeout_s,
    });
    bus.on('run.state', (s) => states.push(s));
  });
  after(async () => {
    await engine.shutdown();
    await stop();
    await server.close();
  });

  it('ends success with one event per 0.2 s slot, the outages as missing values', async () => {
    const documents: RunEvent[] = [];
    bus.on('run.document', ({ document }) => {
      if (document.name === 'event') documents.push(document.doc);
    });
    const { uid } = engine.submit('time_series', {
      signals: ['meter.power'],
      interval_s: 0.2,
      duration_s: 60,
    });
    const openWall = clock.now() / 1000;
    for (let at = 10; at < 60; at += 10) {
      clock.setTimeout(() => {
        // The cable out: the connection drops, and every reconnect is cut at its first command.
        server.setFault({ kind: 'disconnect' });
        server.dropConnections();
      }, at * 1000);
      clock.setTimeout(() => server.setFault({ kind: 'none' }), (at + 3) * 1000);
    }
    const info = await runClockUntil(clock, engine.whenFinished(uid), 10, 20_000);
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.equal(documents.length, 301);
    const missing = documents.filter((e) => e.data['meter.power'] === null);
    const values = documents.filter((e) => e.data['meter.power'] !== null);
    assert.ok(missing.length >= 5 * 12 && missing.length <= 5 * 25, `${missing.length} missing`);
    for (const event of missing) {
      assert.equal(event.timestamps['meter.power'], undefined);
      const t = event.time - openWall;
      assert.ok(t % 10 >= 9.7 || t % 10 <= 5, `missing point at ${t.toFixed(1)} s is in an outage`);
    }
    for (const event of values) assert.equal(typeof event.data['meter.power'], 'number');
    const suspensions = states.filter((s) => s.uid === uid && s.state === 'suspended');
    assert.ok(suspensions.length >= 5, `${suspensions.length} suspensions`);
    assert.match(suspensions[0]!.reason ?? '', /^meter is unavailable/);
  });
});
