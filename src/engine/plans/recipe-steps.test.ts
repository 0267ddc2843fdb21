import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config/load.ts';
import type { PlanGenerator } from '../messages.ts';
import type { RecipeStep } from '../recipes/recipe-model.ts';
import { recipeRun } from './recipe.ts';

const { config } = loadConfig({
  text: `[process.valves]
N2 = { signal = "plc.valve3" }
[process.gases]
N2 = { valve = "N2" }
[process.parameters]
temperature = "plc.temperature"
setpoint = "plc.setpoint"
`,
  instrumentSchemas: {},
});

const plan = (steps: RecipeStep[], timeScale?: number): PlanGenerator =>
  recipeRun(
    {
      recipes: {
        get: () => ({
          name: 'r',
          version: 1,
          hash: 'h',
          recipe: { name: 'r', growth_per_cycle_nm: 0, preconditions: [], steps },
        }),
      },
      process: config.process,
    },
    { recipe: 'r', ...(timeScale !== undefined ? { time_scale: timeScale } : {}) },
  );

/**
 * Carries out a plan's messages on a clock of its own (ms): a sleep moves it on by its length,
 * a read takes `readMs` and answers `value(signal, t)` stamped with when it was read.
 */
function drive(gen: PlanGenerator, value: (signal: string, t: number) => unknown, readMs = 0) {
  let t = 0;
  const writes: [number, string, unknown][] = [];
  const reads: number[] = [];
  const sleeps: [number, number][] = [];
  let reply: unknown;
  let error: unknown = null;
  try {
    for (let step = gen.next(); !step.done; step = gen.next(reply)) {
      const msg = step.value;
      reply = undefined;
      if (msg.command === 'sleep') {
        sleeps.push([t, msg.seconds]);
        t += msg.seconds * 1000;
      }
      if (msg.command === 'set') writes.push([Math.round(t * 1e6) / 1e6, msg.target, msg.value]);
      if (msg.command === 'read') {
        t += readMs;
        reads.push(t);
        reply = Object.fromEntries(msg.targets.map((s) => [s, { value: value(s, t), timestamp: t }]));
      }
    }
  } catch (e) {
    error = e;
  }
  return { writes: writes.filter(([, target]) => target === 'plc.setpoint'), reads, sleeps, t, error };
}

describe('recipe set and wait steps, message by message', () => {
  it('a ramp writes each 1 s step when the ramp gets there, the target after |Δ| / rate, then holds', () => {
    const r = drive(
      plan([{ type: 'set', signal: 'setpoint', value: 50, ramp_rate: 20, hold_ms: 500 }]),
      () => 100,
    );
    assert.equal(r.error, null);
    assert.deepEqual(r.writes, [
      [1000, 'plc.setpoint', 80],
      [2000, 'plc.setpoint', 60],
      [2500, 'plc.setpoint', 50],
    ]);
    assert.deepEqual(r.sleeps.at(-1), [2500, 0.5], 'the hold, after the target is written');
  });

  it('time_scale shortens a ramp and its hold, not its values', () => {
    const r = drive(
      plan([{ type: 'set', signal: 'setpoint', value: 50, ramp_rate: 20, hold_ms: 500 }], 0.1),
      () => 100,
    );
    assert.deepEqual(r.writes, [
      [100, 'plc.setpoint', 80],
      [200, 'plc.setpoint', 60],
      [250, 'plc.setpoint', 50],
    ]);
    assert.equal(r.t, 300);
  });

  it('a ramp already at its target writes it once and waits for nothing', () => {
    const r = drive(plan([{ type: 'set', signal: 'setpoint', value: 50, ramp_rate: 20 }]), () => 50);
    assert.deepEqual(r.writes, [[0, 'plc.setpoint', 50]]);
    assert.equal(r.t, 0);
  });

  it('a ramp from a present value that is not a number fails instead of jumping to the target', () => {
    const r = drive(plan([{ type: 'set', signal: 'setpoint', value: 50, ramp_rate: 20 }]), () => null);
    assert.deepEqual(r.writes, []);
    assert.match(
      String(r.error),
      /cannot ramp plc\.setpoint: its present value is null, not a number to ramp from/,
    );
  });

  it('a wait ends at the first reading where the condition holds', () => {
    const r = drive(
      plan([{ type: 'wait', until: 'temperature >= 195', timeout_s: 10 }]),
      (_s, t) => 150 + t / 10,
      5,
    );
    assert.equal(r.error, null);
    // 195 °C at 450 ms; reads every 100 ms plus 5 ms each.
    assert.ok(r.reads.at(-1)! >= 450 && r.reads.at(-2)! < 450, `${r.reads}`);
  });

  it('a wait times out after timeout_s of time, however long each read takes', () => {
    const r = drive(plan([{ type: 'wait', until: 'temperature >= 195', timeout_s: 2 }]), () => 25, 50);
    assert.match(
      String(r.error),
      /wait "temperature >= 195" did not hold within 2 s \(plc\.temperature is 25\)/,
    );
    assert.equal((r.error as { code: string }).code, 'WAIT_TIMEOUT');
    const waited = r.reads.at(-1)! - r.reads[0]!;
    // The last reading is the first at or past 2 s, at most one poll (100 ms) plus one read late.
    assert.ok(waited >= 2000 && waited < 2000 + 100 + 50, `gave up ${waited} ms after the first reading`);
  });
});
