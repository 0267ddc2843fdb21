import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { AgeRetention } from '../../storage/age-retention.ts';
import { storedPart } from '../testing/line-record-builders.ts';
import { SqliteLineStore } from './sqlite-line-store.ts';

const DAY = 86_400_000;

describe('AgeRetention', () => {
  it('deletes records older than the configured days at start and every interval; data at the cut-off stays', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 10));
    const store = new SqliteLineStore(':memory:');
    const now = clock.now();
    await store.write({
      parts: [
        storedPart({ partId: 'old', time: now - 40 * DAY }),
        storedPart({ partId: 'edge', time: now - 30 * DAY }),
        storedPart({ partId: 'new', time: now - DAY }),
      ],
      defects: [],
      events: [],
    });
    const sweeps: number[] = [];
    let swept!: () => void;
    let next = new Promise<void>((resolve) => {
      swept = resolve;
    });
    const retention = new AgeRetention({
      clock,
      store,
      days: 30,
      intervalMs: DAY,
      onSweep: (n) => {
        sweeps.push(n);
        swept();
      },
    });
    retention.start();
    await next;
    const left = async () =>
      (await store.parts({ lineId: 'assembly1', from: 0, to: Number.MAX_SAFE_INTEGER })).map((p) => p.partId);
    assert.deepEqual(await left(), ['edge', 'new']);
    next = new Promise<void>((resolve) => {
      swept = resolve;
    });
    await clock.advance(DAY);
    await next;
    assert.deepEqual(await left(), ['new']);
    assert.deepEqual(sweeps, [1, 1]);
    await retention.stop();
    await store.close();
  });

  it('0 days keeps everything (no sweep)', async () => {
    const clock = new ManualClock();
    const store = new SqliteLineStore(':memory:');
    let sweeps = 0;
    const retention = new AgeRetention({ clock, store, days: 0, onSweep: () => sweeps++ });
    retention.start();
    await clock.advance(10 * 3_600_000);
    await retention.stop();
    assert.equal(sweeps, 0);
    await store.close();
  });
});
