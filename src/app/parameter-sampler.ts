import type { Clock } from '../core/clock.ts';
import type { SignalValue } from '../core/device.ts';
import type { Instrument } from '../core/instrument.ts';
import type { Reading } from '../core/reading.ts';
import type { SampledValue } from '../storage/timeseries/parameter-logger.ts';
import type { InstrumentManager } from './instrument-manager.ts';

function numeric(value: SignalValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** A signal whose value the tick has to read itself, and where its sample goes. */
interface OwnRead {
  index: number;
  path: string;
  signal: string;
}

type SamplerInstruments = Pick<InstrumentManager, 'resolve'>;
type SampledInstrument = Pick<Instrument, 'lastReading' | 'read'>;

/**
 * What the parameter logger records for each signal at a tick: the value published within the
 * last interval and a half if there is one (monitored signals are polled anyway, so they cost no
 * extra traffic), else a read of its own through the instrument's actor. A signal that cannot be
 * read is logged as null with quality "invalid", never left out.
 *
 * Own reads go to each instrument one at a time (instruments in parallel): sent all at once, a
 * tick of a few hundred unpolled signals overflows the actor's bounded mailbox and every refused
 * read becomes a null sample. Before each read the instrument's published value is looked at
 * again, since a poll that lands meanwhile makes the read unnecessary. Reads not started within
 * one interval of the tick are given up as invalid, so a slow instrument cannot hold the next
 * tick back (the logger's invalid-sample count shows it).
 */
export function parameterSampler(instruments: SamplerInstruments, clock: Clock, intervalMs: number) {
  // An instrument polled at the log's own period publishes about one interval before each tick,
  // sometimes a few ms more (poll and tick drift against each other by their jitter). Counting
  // that as stale would send a read per signal to the actor at every such tick. Half an
  // interval of slack keeps it the latest poll.
  const freshMs = intervalMs * 1.5;
  const fromReading = (signal: string, r: Reading): SampledValue => {
    const value = numeric(r.value);
    return { signal, value, timestamp: r.timestamp, quality: value === null ? 'invalid' : r.quality };
  };
  const invalid = (signal: string): SampledValue => ({
    signal,
    value: null,
    timestamp: clock.now(),
    quality: 'invalid',
  });

  return async (signals: string[]): Promise<SampledValue[]> => {
    const tickAt = clock.now();
    // Relative to the tick, not to now: a value stale at the tick stays stale, one that arrives
    // after it is fresh.
    const published = (instrument: SampledInstrument, signal: string): Reading | undefined => {
      const last = instrument.lastReading(signal);
      return last && last.quality === 'good' && tickAt - last.timestamp <= freshMs ? last : undefined;
    };
    const out: SampledValue[] = new Array(signals.length);
    const ownReads = new Map<SampledInstrument, OwnRead[]>();
    signals.forEach((path, index) => {
      try {
        const { instrument, signal } = instruments.resolve(path);
        const last = published(instrument, signal);
        if (last) out[index] = fromReading(path, last);
        else {
          const queue = ownReads.get(instrument) ?? [];
          queue.push({ index, path, signal });
          ownReads.set(instrument, queue);
        }
      } catch {
        out[index] = invalid(path);
      }
    });

    const readInTurn = async (instrument: SampledInstrument, queue: OwnRead[]): Promise<void> => {
      for (const { index, path, signal } of queue) {
        const last = published(instrument, signal);
        if (last) out[index] = fromReading(path, last);
        else if (clock.now() - tickAt >= intervalMs) out[index] = invalid(path);
        else {
          try {
            out[index] = fromReading(path, await instrument.read(signal));
          } catch {
            out[index] = invalid(path);
          }
        }
      }
    };
    await Promise.all([...ownReads].map(([instrument, queue]) => readInTurn(instrument, queue)));
    return out;
  };
}
