import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from './clock.ts';
import { Deadlines } from './deadlines.ts';

describe('Deadlines: many timeouts on one clock timer', () => {
  it('fires each deadline when due, not before, and never once cancelled', async () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    deadlines.add(100, () => fired.push('a'));
    const b = deadlines.add(150, () => fired.push('b'));
    deadlines.add(200, () => fired.push('c'));
    await clock.advance(99);
    assert.deepEqual(fired, []);
    await clock.advance(1);
    assert.deepEqual(fired, ['a']);
    b.cancel();
    await clock.advance(100);
    assert.deepEqual(fired, ['a', 'c']);
    assert.equal(deadlines.size, 0);
  });

  it('keeps one clock timer however many deadlines come and go', async () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    for (let i = 0; i < 1000; i++) {
      deadlines.add(5_000, () => assert.fail('cancelled deadline fired')).cancel();
      await clock.advance(1);
    }
    assert.equal(clock.pendingTimers(), 1);
    let fired = 0;
    deadlines.add(5_000, () => fired++);
    await clock.advance(10_000);
    assert.equal(fired, 1);
    assert.equal(clock.pendingTimers(), 0, 'nothing left to wait for: no timer');
  });

  it('re-arms for an earlier deadline added after a later one', async () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    deadlines.add(1_000, () => fired.push('late'));
    deadlines.add(10, () => fired.push('early'));
    await clock.advance(10);
    assert.deepEqual(fired, ['early']);
    await clock.advance(990);
    assert.deepEqual(fired, ['early', 'late']);
  });

  it('lets a firing deadline add or cancel others', async () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    let second: { cancel(): void } | null = null;
    deadlines.add(10, () => {
      fired.push('first');
      second?.cancel();
      deadlines.add(5, () => fired.push('added'));
    });
    second = deadlines.add(10, () => fired.push('second'));
    await clock.advance(10);
    assert.deepEqual(fired, ['first']);
    await clock.advance(5);
    assert.deepEqual(fired, ['first', 'added']);
  });
});
