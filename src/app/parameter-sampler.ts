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
 * last interval if there is one (monitored signals are polled anyway, so they cost no extra
 * traffic), else a fresh read through the instrument's actor. A signal that cannot be read is
 * logged as null with quality "invalid", never left out.
 */
export function parameterSampler(instruments: InstrumentManager, clock: Clock, freshMs: number) {
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
