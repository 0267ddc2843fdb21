import type { EventBus } from '../core/bus.ts';
import type { SignalValue } from '../core/device.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { splitSignalPath } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';

export interface SuspenderSpec {
  /** `instrument.signal`, e.g. `laser.emission`; it should be monitored so readings arrive. */
  signal: string;
  /** Suspend while this holds for the latest reading. */
  predicate: (value: SignalValue) => boolean;
  /** Resume once this holds (default: the predicate no longer holds); a band avoids flapping. */
  until?: (value: SignalValue) => boolean;
  /** The suspension's reason (shown to the user); default `<signal> out of bounds`. */
  reason?: string;
}

export interface SuspenderHost {
  bus: EventBus<BenchtopEvents>;
  instruments: InstrumentDirectory;
  suspend(reason: string): void;
  clear(reason: string): void;
}

/**
 * Watches a signal's readings on the bus and raises or clears one suspension. The last known
 * reading is checked at once, so a condition that already holds suspends the next run.
 */
export function watchSuspender(spec: SuspenderSpec, host: SuspenderHost): () => void {
  const { instrument, signal } = splitSignalPath(spec.signal);
  const reason = spec.reason ?? `${spec.signal} out of bounds`;
  const until = spec.until ?? ((value: SignalValue) => !spec.predicate(value));
  let active = false;
  const consider = (value: SignalValue) => {
    if (!active && spec.predicate(value)) {
      active = true;
      host.suspend(reason);
    } else if (active && until(value)) {
      active = false;
      host.clear(reason);
    }
  };
  const off = host.bus.on('instrument.reading', (reading) => {
    if (reading.instrument === instrument && reading.signal === signal) consider(reading.value);
  });
  const last = host.instruments
    .list()
    .find((i) => i.id === instrument)
    ?.lastReading(signal);
  if (last) consider(last.value);
  return () => {
    off();
    if (active) host.clear(reason);
    active = false;
  };
}
