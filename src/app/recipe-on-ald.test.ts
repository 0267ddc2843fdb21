import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AldRecipeRig } from '../../test/support/ald-recipe-rig.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { runClockUntil } from '../engine/testing/fake-lab.ts';
import type { ModbusSimServer } from '../instruments/modbus/modbus-sim-server.ts';
import { watchExternalSetpoints } from './setpoint-watch.ts';

/**
 * The shipped 20-cycle TMA/H2O recipe on config/ald.toml's simulated PLC: the real ModbusPlc
 * driver over TCP to the simulator with the chamber physics, the real engine, all on one
 * ManualClock (pulses, purges, actuation delays and the pressure's time constants are exact).
 */
describe('recipes on the simulated ALD tool (config/ald.toml)', () => {
  const rig = new AldRecipeRig();
  const { clock, bus, commands, warnings } = rig;
  const save = (text: string) => rig.save(text);
  const run = (args: Record<string, unknown>) => rig.run(args);
  const plcWrite = (signal: string, value: boolean | number) => rig.plcWrite(signal, value);
  const wait = (ms: number) => rig.wait(ms);
  const toBase = () => rig.toBase();

  before(async () => {
    await rig.start();
    const text = readFileSync(new URL('../../config/recipes/tma-h2o-20.toml', import.meta.url), 'utf8');
    save(text);
  });
  after(() => rig.close());

  it('runs 20 cycles: 100 ms pulses, one pressure peak per pulse, progress and thickness', async () => {
    const from = commands.length;
    const openBefore = [...rig.chamber.valveOpenSeconds];
    const r = await run({ recipe: 'tma-h2o-20' });
    const info = await r.finished;
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.equal(info.progress.done, 81, 'one set step and 4 steps × 20 cycles');
    assert.deepEqual(
      { cycles_done: info.progress.detail?.cycles_done, thickness_nm: info.progress.detail?.thickness_nm },
      { cycles_done: 20, thickness_nm: 2.2 },
    );
    assert.equal(r.events('primary').length, 81);
    // Each precursor pulse: commanded open, confirmed by feedback (8 ms actuation, 10 ms polls),
    // held 100 ms, closed.
    for (const valve of [1, 2]) {
      const mine = commands.slice(from).filter(([, v]) => v === valve);
      assert.equal(mine.length, 40, `valve ${valve}: 20 opens and 20 closes`);
      for (let i = 0; i < 40; i += 2) {
        assert.equal(mine[i]![2], true);
        assert.equal(mine[i + 1]![2], false);
        const held = mine[i + 1]![0] - mine[i]![0];
        assert.ok(held >= 100 && held <= 140, `valve ${valve} pulse ${i / 2}: commanded open ${held} ms`);
      }
      const open = rig.chamber.valveOpenSeconds[valve]! - openBefore[valve]!;
      assert.ok(open >= 20 * 0.1 && open <= 20 * 0.14, `valve ${valve} open ${open.toFixed(3)} s in all`);
    }
    // The pressure trace (10 Hz, plus the peak-hold register) shows every pulse as one spike.
    const trace = r
      .events('process')
      .map((e) =>
        Math.max(
          Number(e.data['plc.chamber_pressure'] ?? 0),
          Number(e.data['plc.chamber_pressure_peak'] ?? 0),
        ),
      );
    assert.ok(trace.length >= 10 * 140, `${trace.length} process samples in ~145 s`);
    const base = [...trace].sort((a, b) => a - b)[Math.floor(trace.length / 2)]!;
    let peaks = 0;
    let high = false;
    for (const p of trace) {
      if (!high && p > base + 15) {
        peaks++;
        high = true;
      } else if (high && p < base + 5) high = false;
    }
    assert.equal(peaks, 40, `one peak per pulse above the ${base.toFixed(0)} Pa baseline`);
    for (let v = 1; v <= 6; v++)
      assert.equal(rig.chamber.valveCommanded(v), false, `valve ${v} closed at the end`);
  });

  it('abort mid-pulse closes every valve at once', async () => {
    await toBase();
    const r = await run({ recipe: 'tma-h2o-20' });
    const opened = new Promise<void>((resolve) => {
      const watch = () => {
        rig.chamber.advance();
        if (rig.chamber.isValveOpen(1)) resolve();
        else clock.setTimeout(watch, 5);
      };
      watch();
    });
    await runClockUntil(clock, opened, 5, 5000);
    assert.equal(rig.chamber.valveCommanded(1), true);
    rig.engine.abort('operator abort');
    const info = await r.finished;
    assert.equal(info.exit_status, 'abort');
    for (let v = 1; v <= 6; v++) assert.equal(rig.chamber.valveCommanded(v), false, `valve ${v} closed`);
    await clock.advance(20);
    assert.equal(rig.chamber.isValveOpen(1), false, 'and the valve itself closed');
  });

  it('stop at the boundary ends after the cycle in progress, as a success', async () => {
    await toBase();
    const r = await run({ recipe: 'tma-h2o-20' });
    const second = new Promise<void>((resolve) => {
      const off = bus.on('run.progress', (p) => {
        if (p.uid === r.uid && p.detail?.cycle === 2) {
          off();
          resolve();
        }
      });
    });
    await runClockUntil(clock, second, 5, 5000);
    rig.engine.stop('enough'); // a recipe stops at the end of its cycle unless told `now`
    const info = await r.finished;
    assert.equal(info.exit_status, 'success');
    assert.equal(info.reason, 'enough');
    assert.equal(info.progress.detail?.cycles_done, 2, 'the second cycle ran to its end');
    assert.equal(info.progress.done, 1 + 2 * 4);
  });

  it('lists every precondition that fails (pump and N2 generator off) and opens nothing', async () => {
    await toBase();
    await plcWrite('pump', false);
    await plcWrite('n2_generator', false);
    await wait(1500);
    const from = commands.length;
    const info = await (await run({ recipe: 'tma-h2o-20' })).finished;
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.error?.code, 'PRECONDITION_FAILED');
    assert.match(info.reason ?? '', /Vacuum pump running \(plc\.pump\) is false, must be true/);
    assert.match(info.reason ?? '', /^2 preconditions not met: /);
    assert.match(info.reason ?? '', /N2 generator ready \(plc\.n2_ready\) is false, must be true/);
    assert.equal(commands.length, from, 'no valve was commanded');
    await plcWrite('pump', true);
    await plcWrite('n2_generator', true);
    await wait(2500);
  });

  it('a TMA pulse refused by the interlock (pump off) fails the run with that reason, valve commanded closed', async () => {
    save(`name = "tma-only"
[[steps]]
type = "valve"
valve = "TMA"
duration_ms = 100
`);
    await plcWrite('pump', false);
    const info = await (await run({ recipe: 'tma-only' })).finished;
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.error?.code, 'VALVE_NOT_CONFIRMED');
    assert.match(
      info.reason ?? '',
      /valve TMA \(plc\.valve1_tma\) did not open within 500 ms: plc\.valve1_tma_open stayed off \(interlock active: plc\.precursor_interlock is on\)/,
    );
    assert.equal(rig.chamber.valveCommanded(1), false);
    assert.equal(rig.chamber.isValveOpen(1), false);
    await plcWrite('pump', true);
  });

  it('link loss mid-pulse fails the run with the reason; the valves are closed when the PLC is back', async () => {
    const server = rig.manager.simulator('plc') as ModbusSimServer;
    warnings.length = 0;
    await toBase();
    const r = await run({ recipe: 'tma-h2o-20' });
    const opened = new Promise<void>((resolve) => {
      const watch = () => {
        rig.chamber.advance();
        if (rig.chamber.isValveOpen(1)) resolve();
        else clock.setTimeout(watch, 5);
      };
      watch();
    });
    await runClockUntil(clock, opened, 5, 5000);
    server.faults.drop = true;
    server.dropConnections();
    clock.setTimeout(() => {
      server.faults.drop = false;
    }, 1500);
    const info = await r.finished;
    assert.equal(info.exit_status, 'fail');
    assert.match(info.reason ?? '', /^plc is (failed|restarting)/);
    // The PLC keeps its last outputs while nobody talks to it: the TMA valve is still commanded open.
    assert.equal(rig.chamber.valveCommanded(1), true);
    const ready = bus.once('actor.state', (c) => c.id === 'plc' && c.state === 'ready');
    await runClockUntil(clock, ready, 10, 2000);
    const closed = new Promise<void>((resolve) => {
      const watch = () => (!rig.chamber.valveCommanded(1) ? resolve() : clock.setTimeout(watch, 5));
      watch();
    });
    await runClockUntil(clock, closed, 10, 500);
    for (let v = 1; v <= 6; v++)
      assert.equal(rig.chamber.valveCommanded(v), false, `valve ${v} closed on reconnect`);
    assert.ok(
      warnings.some((w) => w.uid === r.uid && /on reconnect/.test(w.message)),
      warnings.map((w) => w.message).join('\n'),
    );
  });
  it('time_scale 0.05 runs the same 20 cycles in ~11 s: purges and holds shortened, pulses not', async () => {
    await toBase();
    const from = commands.length;
    const startedAt = clock.monotonic();
    const info = await (await run({ recipe: 'tma-h2o-20', time_scale: 0.05 })).finished;
    const took = (clock.monotonic() - startedAt) / 1000;
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.equal(info.progress.detail?.cycles_done, 20);
    // 2 s hold and 7 s of purges per cycle at 0.05, pulses 2 × 0.1 s per cycle as they are.
    const least = 2 * 0.05 + 20 * (0.2 + 7 * 0.05);
    assert.ok(took >= least && took < least + 3, `${took.toFixed(2)} s (at least ${least.toFixed(2)} s)`);
    const tma = commands.slice(from).filter(([, v]) => v === 1);
    for (let i = 0; i < tma.length; i += 2) {
      const held = tma[i + 1]![0] - tma[i]![0];
      assert.ok(held >= 100 && held <= 140, `TMA pulse ${i / 2}: ${held} ms`);
    }
  });

  it('a setpoint written at the machine (another Modbus client) is seen within 1 s and published once', async () => {
    const off = watchExternalSetpoints(bus, rig.manager, silentLogger());
    const seen: BenchtopEvents['setpoint.changed_externally'][] = [];
    const offSeen = bus.on('setpoint.changed_externally', (e) => seen.push(e));
    try {
      await plcWrite('mfc1_setpoint', 20);
      await wait(2500);
      assert.equal(seen.length, 0, "Benchtop's own write is not a change at the machine");
      // Someone else: FC16 to holding 2066–2067, 80.0 as float32 low word first.
      const { port } = (rig.manager.simulator('plc') as ModbusSimServer).address!;
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const pdu = Buffer.from([0x10, 0x08, 0x12, 0x00, 0x02, 0x04, 0x00, 0x00, 0x42, 0xa0]);
      const mbap = Buffer.from([0x00, 0x01, 0x00, 0x00, 0x00, pdu.length + 1, 0x01]);
      socket.write(Buffer.concat([mbap, pdu]));
      await once(socket, 'data');
      socket.destroy();
      const writtenAt = clock.monotonic();
      const noticed = new Promise<void>((resolve) => {
        const watch = () => (seen.length > 0 ? resolve() : clock.setTimeout(watch, 5));
        watch();
      });
      await runClockUntil(clock, noticed, 5, 400);
      assert.ok(clock.monotonic() - writtenAt <= 1000 + 50, `seen after ${clock.monotonic() - writtenAt} ms`);
      assert.equal(seen.length, 1);
      assert.deepEqual(
        { signal: seen[0]!.signal, expected: seen[0]!.expected, value: seen[0]!.value },
        { signal: 'mfc1_setpoint', expected: 20, value: 80 },
      );
      await wait(2500);
      assert.equal(seen.length, 1, 'published once');
    } finally {
      off();
      offSeen();
    }
  });

  it('shutdown mid-pulse aborts the run and closes the valves while the PLC still answers', async () => {
    await toBase();
    const r = await run({ recipe: 'tma-h2o-20' });
    const opened = new Promise<void>((resolve) => {
      const watch = () => {
        rig.chamber.advance();
        if (rig.chamber.isValveOpen(2)) resolve();
        else clock.setTimeout(watch, 5);
      };
      watch();
    });
    await runClockUntil(clock, opened, 5, 5000);
    await runClockUntil(clock, rig.engine.shutdown('shutdown'), 5, 1000);
    const info = await r.finished;
    assert.equal(info.exit_status, 'abort');
    assert.equal(info.reason, 'shutdown');
    for (let v = 1; v <= 6; v++) assert.equal(rig.chamber.valveCommanded(v), false, `valve ${v} closed`);
  });
});
