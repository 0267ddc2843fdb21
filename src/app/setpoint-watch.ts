import type { EventBus } from '../core/bus.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { Logger } from '../core/logger.ts';

interface Expected {
  value: unknown;
  /** Epoch ms: readings taken before this may still show the value before Benchtop's write. */
  since: number;
}

/**
 * Notices setpoints changed at the machine: for every writable, monitored signal, the value
 * Benchtop last wrote (or, before any write, the first value seen) against each reading the
 * poll publishes. A difference is published once as `setpoint.changed_externally` (the stream's
 * `alarms` channel) and logged at warn; the new value is then the expected one. With a 1 s poll
 * it is seen within a second of the write at the machine.
 */
export function watchExternalSetpoints(
  bus: EventBus<BenchtopEvents>,
  instruments: InstrumentDirectory,
  logger: Logger,
): () => void {
  const expected = new Map<string, Expected>();
  const writable = new Map<string, Set<string>>();
  const writableOf = (id: string): Set<string> => {
    let names = writable.get(id);
    if (!names) {
      const signals = instruments.get(id).describe().signals;
      names = new Set(signals.filter((s) => s.writable && s.readable && s.monitored).map((s) => s.name));
      writable.set(id, names);
    }
    return names;
  };
  const offs = [
    bus.on('instrument.written', ({ instrument, signal, value, at }) => {
      expected.set(`${instrument}.${signal}`, { value, since: at });
    }),
    // A reconnected instrument may come back with another description (and another map).
    bus.on('actor.state', (c) => {
      if (c.state === 'ready') writable.delete(c.id);
    }),
    bus.on('instrument.reading', (r) => {
      if (r.quality !== 'good') return;
      let names: Set<string>;
      try {
        names = writableOf(r.instrument);
      } catch {
        return;
      }
      if (!names.has(r.signal)) return;
      const path = `${r.instrument}.${r.signal}`;
      const known = expected.get(path);
      if (!known) {
        expected.set(path, { value: r.value, since: r.timestamp });
        return;
      }
      if (r.timestamp < known.since || same(known.value, r.value)) return;
      expected.set(path, { value: r.value, since: r.timestamp });
      logger
        .child({ 'instrument.id': r.instrument })
        .warn(
          { signal: path, expected: known.value, value: r.value },
          `${path} changed at the machine: ${String(known.value)} -> ${String(r.value)} (not written by Benchtop)`,
        );
      bus.emit('setpoint.changed_externally', {
        instrument: r.instrument,
        signal: r.signal,
        expected: known.value,
        value: r.value,
        at: r.timestamp,
      });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/** Equal, for numbers within float32 rounding (a PLC register holds a float32). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
  return a === b;
}

declare module '../core/events.ts' {
  interface BenchtopEvents {
    /**
     * A writable signal changed without Benchtop writing it (someone at the machine): what
     * Benchtop last wrote or saw, and what it reads now.
     */
    'setpoint.changed_externally': {
      instrument: string;
      signal: string;
      expected: unknown;
      value: unknown;
      /** Epoch ms of the reading that showed it. */
      at: number;
    };
  }
}
