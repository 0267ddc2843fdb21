import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config/load.ts';
import type { Msg, PlanGenerator } from '../messages.ts';
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
 * a read takes `readMs` and answers `value(signal, t)` stamped with when it was read; a
 * `read_until` answers from one reading.
 */
function drive(gen: PlanGenerator, value: (signal: string, t: number) => unknown, readMs = 0) {
  let t = 0;
  const writes: [number, string, unknown][] = [];
  const reads: number[] = [];
  const sleeps: [number, number][] = [];
  const untils: Msg[] = [];
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
      if (msg.command === 'read_until') {
        // One reading: whether it holds is the engine's business, here a comparison of numbers.
        untils.push(msg);
        const v = value(msg.target, t);
        const held = msg.until.op === '>=' && typeof v === 'number' && v >= Number(msg.until.value);
        reply = { held, value: v, first_at: t, at: t };
      }
      if (msg.command === 'read') {
        t += readMs;
        reads.push(t);
        reply = Object.fromEntries(msg.targets.map((s) => [s, { value: value(s, t), timestamp: t }]));
      }
    }
  } catch (e) {
    error = e;
  }
  return {
    writes: writes.filter(([, target]) => target === 'plc.setpoint'),
    reads,
    sleeps,
    untils,
    t,
    error,
  };
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

  it('a wait is one read_until of its mapped signal, its timeout_s not scaled by time_scale', () => {
    const r = drive(plan([{ type: 'wait', until: 'temperature >= 195', timeout_s: 10 }], 0.1), () => 200);
    assert.equal(r.error, null);
    assert.deepEqual(r.untils, [
      {
        command: 'read_until',
        target: 'plc.temperature',
        until: { op: '>=', value: 195 },
        timeout_s: 10,
        poll_s: 0.1,
      },
    ]);
  });

  it('a wait that did not hold fails WAIT_TIMEOUT, the reason naming the condition and the last value', () => {
    const r = drive(plan([{ type: 'wait', until: 'temperature >= 195', timeout_s: 2 }]), () => 25);
    assert.equal((r.error as { code: string }).code, 'WAIT_TIMEOUT');
    assert.match(
      String(r.error),
      /wait "temperature >= 195" did not hold within 2 s \(plc\.temperature is 25\)$/,
    );
  });
});
