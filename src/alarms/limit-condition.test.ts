import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Condition, evaluate, type Limits, severityOf } from './limit-condition.ts';

const limits: Limits = { lolo: 0, low: 10, high: 90, hihi: 100, hysteresis: 2 };

function run(values: number[], l = limits): Condition[] {
  let c: Condition = 'NORMAL';
  return values.map((v) => {
    c = evaluate(l, v, c);
    return c;
  });
}

describe('EPICS limit conditions', () => {
  it('checks HIHI, LOLO, HIGH, LOW with major/minor severities', () => {
    assert.deepEqual(run([50]), ['NORMAL']);
    assert.deepEqual(run([95]), ['HIGH']);
    assert.deepEqual(run([100]), ['HIHI']);
    assert.deepEqual(run([5]), ['LOW']);
    assert.deepEqual(run([0]), ['LOLO']);
    assert.deepEqual(
      [severityOf('HIHI'), severityOf('LOW'), severityOf('NORMAL')],
      ['major', 'minor', 'none'],
    );
  });

  it('de-escalates only past the hysteresis band, escalates at once', () => {
    assert.deepEqual(run([91, 89, 88.5, 88, 87.9]), ['HIGH', 'HIGH', 'HIGH', 'NORMAL', 'NORMAL']);
    assert.deepEqual(run([101, 99, 98.1, 98, 97, 87]), ['HIHI', 'HIHI', 'HIHI', 'HIGH', 'HIGH', 'NORMAL']);
    assert.deepEqual(run([91, 100]), ['HIGH', 'HIHI']);
    assert.deepEqual(run([9, 11, 12]), ['LOW', 'LOW', 'NORMAL']);
  });

  it('a jump from one side to the other is immediate', () => {
    assert.deepEqual(run([95, 5]), ['HIGH', 'LOW']);
  });

  it('works with only some limits set', () => {
    assert.deepEqual(run([5, 1000], { high: 10, hysteresis: 0 }), ['NORMAL', 'HIGH']);
  });
});
