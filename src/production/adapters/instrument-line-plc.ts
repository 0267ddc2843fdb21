import type { EventBus } from '../../core/bus.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import type { Reading } from '../../core/reading.ts';
import type { LinePlc } from '../line-interfaces.ts';

/**
 * The line's PLC over a PLC instrument (LogixPlc): part events and state changes come from the
 * readings its tag scan publishes on the bus (one reading per changed tag), reads and the
 * write-back go through the Instrument facade, so the driver's one request queue, checks and
 * reconnects apply to the line as to everyone else.
 */
export class InstrumentLinePlc implements LinePlc {
  private readonly instrumentId: string;
  private readonly directory: InstrumentDirectory;
  private readonly bus: EventBus<BenchtopEvents>;

  constructor(options: {
    instrumentId: string;
    directory: InstrumentDirectory;
    bus: EventBus<BenchtopEvents>;
  }) {
    this.instrumentId = options.instrumentId;
    this.directory = options.directory;
    this.bus = options.bus;
  }

  /**
   * An invalid reading (link lost) makes the tag's value unknown, and unknown → true is an
   * edge: a part completed while the link came back is not lost. The same part's edge seen
   * twice that way is told apart by the line's counter tag (LineTracker), not here.
   */
  onRisingEdge(tag: string, listener: (time: number) => void): () => void {
    let last: unknown;
    return this.readingsOf(tag, (reading) => {
      const before = last;
      last = reading.quality === 'good' ? reading.value : undefined;
      if (reading.quality === 'good' && isOn(reading.value) && !isOn(before)) listener(reading.timestamp);
    });
  }

  onChange(tag: string, listener: (value: unknown, time: number) => void): () => void {
    let last: unknown;
    return this.readingsOf(tag, (reading) => {
      if (reading.quality !== 'good' || reading.value === last) return;
      last = reading.value;
      listener(reading.value, reading.timestamp);
    });
  }

  onReading(tag: string, listener: (value: unknown, time: number) => void): () => void {
    return this.readingsOf(tag, (reading) =>
      listener(reading.quality === 'good' ? reading.value : undefined, reading.timestamp),
    );
  }

  async read(tags: readonly string[]): Promise<Record<string, unknown>> {
    const instrument = this.directory.get(this.instrumentId);
    const readings = await Promise.all(tags.map((t) => instrument.read(t)));
    return Object.fromEntries(readings.map((r, i) => [tags[i], r.value]));
  }

  /**
   * The driver publishes a scan's changed tags one after another in one go, and the instrument
   * remembers each; after a microtask the edge's whole scan is there. One Multiple Service
   * Packet read them together, so they are the PLC's values at the edge: no second round trip
   * per tag, and never the next part's id if it completed meanwhile.
   */
  async scanned(tags: readonly string[]): Promise<Record<string, unknown> | undefined> {
    await Promise.resolve();
    const instrument = this.directory.get(this.instrumentId);
    const values: Record<string, unknown> = {};
    for (const tag of tags) {
      const last = instrument.lastReading(tag);
      if (last?.quality !== 'good') return undefined;
      values[tag] = last.value;
    }
    return values;
  }

  async write(tag: string, value: number | boolean): Promise<void> {
    await this.directory.get(this.instrumentId).write(tag, value);
  }

  private readingsOf(tag: string, handle: (reading: Reading) => void): () => void {
    return this.bus.on('instrument.reading', (reading) => {
      if (reading.instrument === this.instrumentId && reading.signal === tag) handle(reading);
    });
  }
}

/** BOOL tags read as booleans, integer ones (a DINT used as a flag) as numbers. */
function isOn(value: unknown): boolean {
  return value === true || (typeof value === 'number' && value !== 0);
}
