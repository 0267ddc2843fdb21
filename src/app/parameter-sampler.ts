import type { Clock } from '../core/clock.ts';
import type { SignalValue } from '../core/device.ts';
import type { Reading } from '../core/reading.ts';
import type { SampledValue } from '../storage/timeseries/parameter-logger.ts';
import type { InstrumentManager } from './instrument-manager.ts';

function numeric(value: SignalValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/**
 * What the parameter logger records for each signal at a tick: the value published within the
 * last interval and a half if there is one (monitored signals are polled anyway, so they cost no extra
 * traffic), else a fresh read through the instrument's actor. A signal that cannot be read is
 * logged as null with quality "invalid", never left out.
 */
export function parameterSampler(instruments: InstrumentManager, clock: Clock, intervalMs: number) {
  // An instrument polled at the log's own period publishes about one interval before each tick,
  // sometimes a few ms more (poll and tick drift against each other by their jitter). Counting
  // that as stale would send a read per signal to the actor at every such tick: for a 200-point
  // PLC, more reads than its mailbox holds. Half an interval of slack keeps it the latest poll.
  const freshMs = intervalMs * 1.5;
  const fromReading = (signal: string, r: Reading): SampledValue => {
    const value = numeric(r.value);
    return { signal, value, timestamp: r.timestamp, quality: value === null ? 'invalid' : r.quality };
  };
  return async (signals: string[]): Promise<SampledValue[]> =>
    Promise.all(
      signals.map(async (path): Promise<SampledValue> => {
        try {
          const { instrument, signal } = instruments.resolve(path);
          const last = instrument.lastReading(signal);
          if (last && last.quality === 'good' && clock.now() - last.timestamp <= freshMs)
            return fromReading(path, last);
          return fromReading(path, await instrument.read(signal));
        } catch {
          return { signal: path, value: null, timestamp: clock.now(), quality: 'invalid' };
        }
      }),
    );
}
