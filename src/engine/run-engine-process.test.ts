import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { RunEvent } from '../core/documents.ts';
import { closeRun, type Msg, openRun, type PlanGenerator, set, sleep } from './messages.ts';
import type { PlanDefinition } from './plan-definition.ts';
import { builtinPlans, PlanRegistry } from './plan-registry.ts';
import type { RunEngine } from './run-engine.ts';
import type { RunWarning } from './run-events.ts';
import { type FakeLab, fakeLab, labEngine, runClockUntil } from './testing/fake-lab.ts';

/** A process-like plan: a 10 Hz trace, a safe state, three 1 s "cycles" with boundaries. */
function* processPlan(): PlanGenerator {
  yield openRun({}, { num_points: 3 });
  yield { command: 'finalize', writes: [{ target: 'stage.axis1.position', value: 0 }] } satisfies Msg;
  yield { command: 'finalize', writes: [{ target: 'meter.wavelength', value: 500 }] } satisfies Msg;
  yield { command: 'monitor', targets: ['meter.power'], interval_s: 0.1, stream: 'trace' } satisfies Msg;
  yield set('stage.axis1.position', 3);
  for (let cycle = 1; cycle <= 3; cycle++) {
    yield { command: 'progress', detail: { cycle } } satisfies Msg;
    yield sleep(1);
    yield { command: 'boundary' } satisfies Msg;
  }
  yield closeRun();
}

const plan = (fail: boolean): PlanDefinition<never> => ({
  name: fail ? 'process_fail' : 'process',
  description: 'test',
  args: Type.Object({}),
  instruments: () => ['meter', 'stage'],
  ...(fail ? { onInstrumentUnavailable: 'fail' as const } : {}),
  stopAt: 'boundary',
  plan: processPlan,
});

let lab: FakeLab;
let engine: RunEngine;
let warnings: RunWarning[];
beforeEach(async () => {
  lab = await fakeLab();
  warnings = [];
  lab.bus.on('run.warning', (w) => warnings.push(w));
  engine = labEngine(lab, {
    plans: new PlanRegistry([...builtinPlans, plan(false), plan(true)] as PlanDefinition[]),
    onInstrumentUnavailable: 'suspend',
  });
});
afterEach(async () => {
  await engine.shutdown();
  await lab.stop();
});

const events = (stream: string): RunEvent[] => {
  const docs = lab.writers.at(-1)!.documents;
  const descriptor = docs.find((d) => d.name === 'descriptor' && d.doc.name === stream)?.doc.uid;
  return docs
    .filter((d) => d.name === 'event' && d.doc.descriptor === descriptor)
    .map((d) => d.doc as RunEvent);
};

describe('engine messages for process plans: monitor, finalize, progress detail, boundary', () => {
  it('monitor samples on a deadline schedule until the end; finalize restores the safe state on success', async () => {
    const { uid } = engine.submit('process', {});
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid), 10, 1000);
    assert.equal(info.exit_status, 'success', info.reason ?? '');
    const trace = events('trace');
    assert.ok(trace.length >= 30 && trace.length <= 32, `${trace.length} samples in ~3 s at 10 Hz`);
    const gaps = trace.slice(1).map((e, i) => e.time - trace[i]!.time);
    assert.ok(
      gaps.every((g) => Math.abs(g - 0.1) < 0.011),
      `samples 0.1 s apart: ${gaps.map((g) => g.toFixed(3))}`,
    );
    assert.equal(lab.stage.position('axis1'), 0, 'the stage is back at its safe position');
    assert.deepEqual(info.progress.detail, { cycle: 3 });
  });

  it("a stop without `at` ends at the plan's next boundary when the plan says so; `now` at once", async () => {
    const first = engine.submit('process', {});
    await runClockUntil(lab.clock, new Promise((r) => lab.clock.setTimeout(() => r(null), 1500)), 10, 200);
    engine.stop('enough');
    const info = await runClockUntil(lab.clock, engine.whenFinished(first.uid), 10, 1000);
    assert.deepEqual([info.exit_status, info.progress.detail], ['success', { cycle: 2 }]);
    const second = engine.submit('process', {});
    await runClockUntil(lab.clock, new Promise((r) => lab.clock.setTimeout(() => r(null), 1500)), 10, 200);
    const at = lab.clock.monotonic();
    engine.stop('now', 'now');
    await runClockUntil(lab.clock, engine.whenFinished(second.uid), 10, 1000);
    assert.ok(lab.clock.monotonic() - at < 100, 'ended at once');
  });

  it('a fail-on-unavailable plan fails at once when its instrument drops; a safe write that could not be made is made on reconnect', async () => {
    const written: string[] = [];
    lab.bus.on('instrument.written', (w) => written.push(`${w.instrument}.${w.signal}=${String(w.value)}`));
    const { uid } = engine.submit('process_fail', {});
    await runClockUntil(lab.clock, new Promise((r) => lab.clock.setTimeout(() => r(null), 500)), 10, 100);
    lab.meter.unplugged = true;
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid), 10, 1000);
    assert.equal(info.exit_status, 'fail');
    assert.match(info.reason ?? '', /^meter is (failed|restarting)/);
    assert.ok(written.includes('stage.axis1.position=0'));
    assert.ok(!written.includes('meter.wavelength=500'), 'not while the meter is away');
    assert.ok(
      warnings.some((w) => w.kind === 'safe_state' && /could not write meter\.wavelength/.test(w.message)),
    );
    lab.meter.unplugged = false;
    const done = new Promise<void>((resolve) => {
      const watch = () =>
        written.includes('meter.wavelength=500') ? resolve() : lab.clock.setTimeout(watch, 10);
      watch();
    });
    await runClockUntil(lab.clock, done, 10, 5000);
    assert.ok(warnings.some((w) => w.kind === 'safe_state' && /on reconnect/.test(w.message)));
  });
});
