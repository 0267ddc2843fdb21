import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { AlarmHistoryQueue } from '../../storage/alarm-history/alarm-history-queue.ts';
import { BenchtopMetrics } from './benchtop-metrics.ts';

const event = (comment: string) => ({
  time: '2026-12-03T08:00:00.000Z',
  alarm: 'meter.power',
  event: 'acknowledged',
  condition: 'HIGH',
  severity: 'minor',
  value: 1.5,
  user: 'ada',
  comment,
});

describe('alarm history metrics', () => {
  it('the PostgreSQL copy queue shows its fill and counts what a full queue refused, once per event', async () => {
    const metrics = new BenchtopMetrics({
      bus: new EventBus<BenchtopEvents>(),
      instruments: { list: () => [], get: () => undefined as never },
      dataDir: '.',
    });
    // a database that is down: nothing leaves the queue
    const queue = new AlarmHistoryQueue({
      history: { write: () => Promise.reject(new Error('connection refused')) },
      clock: new ManualClock(),
      capacity: 4,
    });
    metrics.attachStorage({ runWriter: () => null, parameterLog: () => null, alarmHistory: () => queue });
    for (const c of ['a', 'b', 'c']) queue.record(event(c));
    let text = await metrics.text();
    assert.match(text, /^benchtop_storage_queue_usage_ratio\{writer="alarm_history"\} 0.75$/m);
    assert.doesNotMatch(text, /^benchtop_storage_dropped_total\{writer="alarm_history"\}/m);
    for (const c of ['d', 'e', 'f']) queue.record(event(c));
    text = await metrics.text();
    assert.match(text, /^benchtop_storage_queue_usage_ratio\{writer="alarm_history"\} 1$/m);
    assert.match(text, /^benchtop_storage_dropped_total\{writer="alarm_history"\} 2$/m);
    text = await metrics.text();
    assert.match(
      text,
      /^benchtop_storage_dropped_total\{writer="alarm_history"\} 2$/m,
      'a second scrape adds nothing',
    );
    queue.abandon();
  });
});
