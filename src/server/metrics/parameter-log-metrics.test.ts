import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { ParameterLogger } from '../../storage/timeseries/parameter-logger.ts';
import type { TimeSeriesStore } from '../../storage/timeseries/timeseries-store.ts';
import { BenchtopMetrics } from './benchtop-metrics.ts';

const discard: TimeSeriesStore = {
  kind: 'memory',
  insert: async () => {},
  query: async () => [],
  deleteOlderThan: async () => 0,
  close: async () => {},
};

describe('parameter-log metrics', () => {
  it('count the samples stored as null per group, and show 0 for a group with none', async () => {
    const clock = new ManualClock();
    const metrics = new BenchtopMetrics({
      bus: new EventBus<BenchtopEvents>(),
      instruments: { list: () => [], get: () => undefined as never },
      dataDir: '.',
    });
    const logger = new ParameterLogger({
      groups: [
        { name: 'plc', signals: ['plc.a', 'plc.b', 'plc.c'], interval_s: 1 },
        { name: 'laser', signals: ['laser.power'], interval_s: 1 },
      ],
      clock,
      store: discard,
      // plc.b's reads fail and plc.c reads as NaN: both are stored as null, "invalid".
      sample: async (signals) =>
        signals
          .filter((signal) => signal !== 'plc.b')
          .map((signal) => ({ signal, value: signal === 'plc.c' ? Number.NaN : 1, timestamp: clock.now() })),
      onTick: (tick) => metrics.parameterLogTick(tick),
    });
    logger.start();
    await clock.advance(3000); // deadlines 0, 1000, 2000 and 3000
    await logger.stop();
    const text = await metrics.text();
    assert.match(text, /^benchtop_parameter_log_invalid_samples_total\{group="plc"\} 8$/m);
    assert.match(text, /^benchtop_parameter_log_invalid_samples_total\{group="laser"\} 0$/m);
    assert.match(text, /^benchtop_parameter_log_lateness_seconds_count\{group="plc"\} 4$/m);
  });
});
