import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { LineStates, ProductionLine } from './production-line.ts';

describe('ProductionLine', () => {
  it('makes parts at the ideal cycle time without jitter, with a Part.Completed pulse and the conveyor', async () => {
    const clock = new ManualClock();
    const line = new ProductionLine({ clock, idealCycleMs: 1000, jitter: 0, completedPulseMs: 100 });
    const seen: number[] = [];
    line.onPartCompleted((p) => seen.push(p.id));
    assert.equal(line.state, LineStates.stopped);
    line.setRunCommand(true);
    assert.equal(line.state, LineStates.running);
    await clock.advance(999);
    assert.equal(line.partCounter, 0);
    await clock.advance(1);
    assert.equal(line.partCounter, 1);
    assert.equal(line.partCompleted, true);
    await clock.advance(100);
    assert.equal(line.partCompleted, false);
    await clock.advance(2900);
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.equal(line.partAt(1)?.id, 4);
    assert.equal(line.partAt(2)?.sku, 'SKU-C300');
    assert.equal(line.partAt(4)?.skuCode, 1);
    assert.equal(line.partAt(5), null);
    const truth = line.truth();
    assert.equal(truth.availability, 1);
    assert.equal(truth.performance, 1);
    line.dispose();
  });

  it('books micro-stops and faults as downtime: availability and performance are known truths', async () => {
    const clock = new ManualClock();
    const line = new ProductionLine({ clock, idealCycleMs: 1000, jitter: 0 });
    line.setRunCommand(true);
    await clock.advance(2500); // 2 parts, half way through the third
    line.injectMicroStop(500);
    assert.equal(line.state, LineStates.paused);
    await clock.advance(500);
    assert.equal(line.state, LineStates.running);
    await clock.advance(500); // the third part finishes: its cycle resumed where it stopped
    assert.equal(line.partCounter, 3);
    line.injectAlarm('F301', 2000);
    assert.equal(line.state, LineStates.fault);
    assert.equal(line.activeAlarm(), 'F301');
    assert.ok(line.pressureBar() < 5);
    await clock.advance(1000);
    line.reset(); // cleared early by Line.Reset
    assert.equal(line.state, LineStates.running);
    line.injectAlarm('W102', 5000); // a warning: the line keeps running
    assert.equal(line.state, LineStates.running);
    await clock.advance(1000);
    const truth = line.truth();
    assert.equal(truth.plannedMs, 5500);
    assert.equal(truth.runningMs, 4000);
    assert.equal(truth.pausedMs, 500);
    assert.equal(truth.faultMs, 1000);
    assert.equal(truth.parts, 4);
    assert.equal(truth.availability, 4000 / 5500);
    assert.equal(truth.performance, 1);
    assert.deepEqual(truth.downtimeByCause, { 'micro-stop': 500, F301: 1000 });
    line.dispose();
  });

  it('with jitter, cycles are never shorter than the ideal, so performance stays at or below 100 %', async () => {
    const clock = new ManualClock();
    const line = new ProductionLine({ clock, idealCycleMs: 100, jitter: 0.2, seed: 3 });
    line.setRunCommand(true);
    await clock.advance(20_000);
    const truth = line.truth();
    assert.ok(truth.parts > 150 && truth.parts < 200, `${truth.parts} parts`);
    assert.ok(truth.performance < 1 && truth.performance > 0.8, `performance ${truth.performance}`);
    assert.ok(line.lastCycleTimeMs >= 100);
    line.dispose();
  });

  it('an emergency stop drops the run command; quality results count passes and fails', async () => {
    const clock = new ManualClock();
    const line = new ProductionLine({ clock, idealCycleMs: 1000, jitter: 0 });
    line.setRunCommand(true);
    line.setEmergencyStop(true);
    assert.equal(line.state, LineStates.stopped);
    line.setRunCommand(true);
    assert.equal(line.runCommanded, false, 'run refused while the emergency stop is active');
    line.setEmergencyStop(false);
    line.setRunCommand(true);
    assert.equal(line.state, LineStates.running);
    line.recordQuality(1);
    line.recordQuality(2);
    line.recordQuality(1);
    line.recordQuality(0);
    assert.equal(line.passCount, 2);
    assert.equal(line.failCountTotal, 1);
    line.dispose();
  });
});
