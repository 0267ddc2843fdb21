import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AldRecipeRig } from '../../test/support/ald-recipe-rig.ts';

/**
 * The recipe steps other than pulses, on config/ald.toml's simulated tool (real driver, real
 * engine, one ManualClock): ramped setpoints and holds, waits that hold and waits that time out,
 * nested loops, and a pause between steps.
 */
describe('recipe steps on the simulated ALD tool (config/ald.toml)', () => {
  const rig = new AldRecipeRig();
  const { clock, bus, commands } = rig;

  /** Each step as it starts: [ms, step number, step name], from the run's progress. */
  const stepStarts = (uid: string) => {
    const starts: [number, number, string][] = [];
    const off = bus.on('run.progress', (p) => {
      const step = p.detail?.step as number | undefined;
      if (p.uid !== uid || !p.detail?.step_name || step === starts.at(-1)?.[1]) return;
      starts.push([clock.monotonic(), step!, String(p.detail.step_name)]);
    });
    return { starts, off };
  };
  const opens = (from: number) =>
    commands
      .slice(from)
      .filter(([, , open]) => open)
      .map(([, valve]) => valve);

  before(() => rig.start());
  after(() => rig.close());

  it('set with ramp_rate moves the setpoint at that rate in 1 s steps to the target, then holds hold_ms', async () => {
    // The PLC's own record of the setpoint register: every value written to it, with when.
    const writes: [number, number][] = [];
    let setpoint = rig.chamber.temperatureSetpointC;
    assert.equal(setpoint, 25);
    Object.defineProperty(rig.chamber, 'temperatureSetpointC', {
      configurable: true,
      get: () => setpoint,
      set: (v: number) => {
        setpoint = v;
        writes.push([clock.monotonic(), v]);
      },
    });
    rig.save(`name = "ramp-hold"
[[steps]]
type = "set"
signal = "chamber_temperature_setpoint"
value = 100
ramp_rate = 30
hold_ms = 2000
[[steps]]
type = "valve"
valve = "N2"
duration_ms = 10
`);
    const from = commands.length;
    const r = rig.run({ recipe: 'ramp-hold' });
    const { starts, off } = stepStarts(r.uid);
    const info = await r.finished;
    off();
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.deepEqual(
      writes.map(([, v]) => v),
      [55, 85, 100],
      '25 → 100 at 30 °C/s: two whole steps, then the last half step',
    );
    const rampFrom = starts[0]![0];
    // Never ahead of the rate: each value is written once the ramp has had time to get there.
    for (const [at, v] of writes)
      assert.ok((v - 25) / 30 <= (at - rampFrom) / 1000, `${v} written ${at - rampFrom} ms into the ramp`);
    // And not dawdling: the target is written 2.5 s in (plus the writes' own time on the link).
    const reachedAt = writes.at(-1)![0];
    assert.ok(reachedAt - rampFrom <= 2500 + 100, `target reached ${reachedAt - rampFrom} ms in`);
    // The hold counts from the target: the next step opens N2 2 s after it.
    const n2Open = commands.slice(from).find(([, valve, open]) => valve === 3 && open)!;
    const held = n2Open[0] - reachedAt;
    assert.ok(held >= 2000 && held <= 2000 + 100, `held ${held} ms`);
    assert.equal(setpoint, 100);
  });

  it('a setpoint outside the point table range is refused when the recipe is saved, naming the step', () => {
    assert.throws(
      () =>
        rig.save(`name = "too-much-flow"
[[steps]]
type = "set"
signal = "mfc1_setpoint"
value = 250
[[steps]]
type = "purge"
duration_ms = 100
flow_sccm = 500
[[steps]]
type = "set"
signal = "chamber_temperature_setpoint"
value = 400
ramp_rate = 5
`),
      (error: {
        code: string;
        message: string;
        details: { problems: { path: string; message: string }[] };
      }) => {
        assert.equal(error.code, 'VALIDATION_FAILED');
        assert.deepEqual(
          error.details.problems,
          [
            {
              path: '/steps/0/value',
              message: 'plc.mfc1_setpoint: 250 sccm is out of range (allowed 0..200 sccm)',
            },
            {
              path: '/steps/1/flow_sccm',
              message: 'plc.mfc1_setpoint: 500 sccm is out of range (allowed 0..200 sccm)',
            },
            {
              path: '/steps/2/value',
              message: 'plc.chamber_temperature_setpoint: 400 degC is out of range (allowed 0..350 degC)',
            },
          ],
          error.message,
        );
        return true;
      },
    );
  });

  it('wait holds the recipe until the condition is true, then the next step starts', async () => {
    rig.save(`name = "heat-then-purge"
[[steps]]
type = "set"
signal = "chamber_temperature_setpoint"
value = 200
[[steps]]
type = "set"
signal = "plc.chamber_heater_enable"
value = true
[[steps]]
type = "wait"
until = "chamber_temperature >= 40"
timeout_s = 120
[[steps]]
type = "purge"
duration_ms = 100
`);
    const from = commands.length;
    const r = rig.run({ recipe: 'heat-then-purge' });
    // The chamber's own temperature as each step starts.
    const temperatures: [string, number][] = [];
    const off = bus.on('run.progress', (p) => {
      if (p.uid !== r.uid || !p.detail?.step_type || temperatures.at(-1)?.[0] === p.detail.step_name) return;
      rig.chamber.advance();
      temperatures.push([String(p.detail.step_name), rig.chamber.temperatureC]);
    });
    const info = await r.finished;
    off();
    await rig.plcWrite('chamber_heater_enable', false);
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    const [wait, purge] = [temperatures[2]!, temperatures[3]!];
    assert.equal(wait[0], 'wait chamber_temperature >= 40');
    assert.ok(wait[1] < 30, `the chamber was cold when the wait began (${wait[1].toFixed(1)} °C)`);
    // The reading has 0.05 °C of noise; the chamber itself is within that of 40 or above.
    assert.ok(purge[1] >= 39.8, `the purge began at ${purge[1].toFixed(2)} °C`);
    assert.deepEqual(opens(from), [3], 'then the purge ran');
    const waited = r.events('primary')[2]!;
    assert.ok(Number(waited.data['plc.chamber_temperature']) >= 40);
  });

  it('a wait that never holds fails the run after timeout_s, the reason naming the condition', async () => {
    rig.save(`name = "wait-for-nothing"
[[steps]]
type = "wait"
until = "chamber_pressure > 5000"
timeout_s = 2
[[steps]]
type = "valve"
valve = "TMA"
duration_ms = 100
`);
    const from = commands.length;
    const r = rig.run({ recipe: 'wait-for-nothing' });
    const { starts, off } = stepStarts(r.uid);
    const info = await r.finished;
    off();
    const failedAfter = clock.monotonic() - starts[0]![0];
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.error?.code, 'WAIT_TIMEOUT');
    assert.match(
      info.reason ?? '',
      /^wait "chamber_pressure > 5000" did not hold within 2 s \(plc\.chamber_pressure is \d+(\.\d+)?\)$/,
    );
    assert.deepEqual(opens(from), [], 'the step after the wait never ran');
    assert.equal(starts.length, 1);
    // timeout_s is time, not a count of polls: reads taking time do not stretch it.
    assert.ok(
      failedAfter >= 2000 && failedAfter <= 2000 + 200,
      `failed ${failedAfter} ms after the wait began`,
    );
  });

  it('nested loops run: each inner step as often and in the order the loops say', async () => {
    rig.save(`name = "supercycle"
growth_per_cycle_nm = 0.5
[[steps]]
type = "loop"
count = 2
[[steps.steps]]
type = "valve"
valve = "TMA"
duration_ms = 20
[[steps.steps]]
type = "loop"
count = 3
[[steps.steps.steps]]
type = "valve"
valve = "H2O"
duration_ms = 20
[[steps.steps.steps]]
type = "purge"
duration_ms = 200
[[steps.steps]]
type = "purge"
duration_ms = 300
`);
    const from = commands.length;
    const r = rig.run({ recipe: 'supercycle' });
    const { starts, off } = stepStarts(r.uid);
    const info = await r.finished;
    off();
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    // Valves 1 TMA, 2 H2O, 3 N2 (purge), as the PLC saw them open.
    const cycle = [1, 2, 3, 2, 3, 2, 3, 3];
    assert.deepEqual(opens(from), [...cycle, ...cycle]);
    const names = [
      'TMA pulse 20 ms',
      ...Array(3).fill(['H2O pulse 20 ms', 'purge 200 ms']).flat(),
      'purge 300 ms',
    ];
    assert.deepEqual(
      starts.map(([, , name]) => name),
      [...names, ...names],
    );
    assert.deepEqual(
      starts.map(([, step]) => step),
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    assert.equal(r.events('primary').length, 16, 'one event per step run');
    assert.deepEqual({ done: info.progress.done, total: info.progress.total }, { done: 16, total: 16 });
    assert.deepEqual(
      { cycles: info.progress.detail?.cycles, done: info.progress.detail?.cycles_done },
      { cycles: 2, done: 2 },
    );
    assert.equal(info.progress.detail?.thickness_nm, 1);
  });

  it('pause lets the step in progress finish, starts no step until resume, then the recipe continues', async () => {
    rig.save(`name = "three-cycles"
[[steps]]
type = "loop"
count = 3
[[steps.steps]]
type = "valve"
valve = "TMA"
duration_ms = 100
[[steps.steps]]
type = "purge"
duration_ms = 1000
`);
    const from = commands.length;
    const r = rig.run({ recipe: 'three-cycles' });
    const { starts, off } = stepStarts(r.uid);
    await rig.until(() => {
      rig.chamber.advance();
      return starts.length === 2 && rig.chamber.isValveOpen(3);
    });
    rig.engine.pause(); // mid-purge of the first cycle
    await rig.until(() => rig.engine.get(r.uid)?.state === 'paused', 3000);
    const purge = commands.slice(from).filter(([, valve]) => valve === 3);
    assert.equal(purge.length, 2, 'the purge under way ran to its end and closed');
    assert.ok(purge[1]![0] - purge[0]![0] >= 1000, `purge held ${purge[1]![0] - purge[0]![0]} ms`);
    const atPause = commands.length;
    await rig.wait(10_000);
    assert.equal(rig.engine.get(r.uid)?.state, 'paused');
    assert.equal(commands.length, atPause, 'no valve moved while paused');
    assert.equal(starts.length, 2, 'no step started while paused');
    for (let v = 1; v <= 6; v++) assert.equal(rig.chamber.valveCommanded(v), false, `valve ${v} closed`);
    const resumedAt = clock.monotonic();
    rig.engine.resume();
    const info = await r.finished;
    off();
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.equal(info.progress.done, 6);
    assert.deepEqual(opens(from), [1, 3, 1, 3, 1, 3]);
    assert.ok(starts[2]![0] >= resumedAt, 'the third step started after the resume');
  });

  it('a suspension mid-pulse closes the valves while it lasts; the pulse is re-done when it clears', async () => {
    rig.save(`name = "one-cycle"
[[steps]]
type = "valve"
valve = "TMA"
duration_ms = 100
[[steps]]
type = "purge"
duration_ms = 500
`);
    const from = commands.length;
    const r = rig.run({ recipe: 'one-cycle' });
    await rig.until(() => {
      rig.chamber.advance();
      return rig.chamber.isValveOpen(1);
    });
    rig.engine.suspend('alarm: test');
    await rig.until(
      () => rig.engine.get(r.uid)?.state === 'suspended' && !rig.chamber.valveCommanded(1),
      1000,
    );
    const closedAt = commands.length;
    await rig.wait(3000);
    assert.equal(commands.length, closedAt, 'nothing opened while suspended');
    for (let v = 1; v <= 6; v++) assert.equal(rig.chamber.valveCommanded(v), false, `valve ${v} closed`);
    rig.engine.clearSuspension('alarm: test');
    const info = await r.finished;
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.deepEqual(opens(from), [1, 1, 3], 'the interrupted pulse, the pulse re-done, the purge');
    for (let v = 1; v <= 6; v++)
      assert.equal(rig.chamber.valveCommanded(v), false, `valve ${v} closed at the end`);
    // The re-done pulse is a whole one: its hold is timed from its own readings, not from
    // the ones before the suspension.
    const tma = commands.slice(closedAt).filter(([, valve]) => valve === 1);
    const held = tma[1]![0] - tma[0]![0];
    assert.ok(held >= 100 && held <= 140, `re-done pulse commanded open ${held} ms`);
  });

  it("a suspension during a wait does not use up the wait's timeout_s: the wait starts again after it", async () => {
    const r = rig.run({ recipe: 'wait-for-nothing' }); // saved above: 2 s for a pressure never reached
    const { starts, off } = stepStarts(r.uid);
    await rig.until(() => starts.length === 1);
    await rig.wait(1000);
    rig.engine.suspend('alarm: test');
    await rig.wait(5000);
    const clearedAt = clock.monotonic();
    rig.engine.clearSuspension('alarm: test');
    const info = await r.finished;
    off();
    assert.equal(info.error?.code, 'WAIT_TIMEOUT');
    const after = clock.monotonic() - clearedAt;
    assert.ok(after >= 2000 && after <= 2000 + 200, `failed ${after} ms after the suspension cleared`);
  });

  it('a suspension mid-ramp re-does only the ramp step it interrupted: the setpoint never steps back', async () => {
    const writes: number[] = [];
    let setpoint = rig.chamber.temperatureSetpointC;
    Object.defineProperty(rig.chamber, 'temperatureSetpointC', {
      configurable: true,
      get: () => setpoint,
      set: (v: number) => {
        setpoint = v;
        writes.push(v);
      },
    });
    await rig.plcWrite('chamber_temperature_setpoint', 25);
    writes.length = 0;
    rig.save(`name = "long-ramp"
[[steps]]
type = "set"
signal = "chamber_temperature_setpoint"
value = 175
ramp_rate = 30
`);
    const r = rig.run({ recipe: 'long-ramp' });
    await rig.until(() => writes.length === 3); // 55, 85, 115
    rig.engine.suspend('alarm: test');
    await rig.wait(2000);
    rig.engine.clearSuspension('alarm: test');
    const info = await r.finished;
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    assert.deepEqual(writes, [55, 85, 115, 145, 175]);
  });
});
