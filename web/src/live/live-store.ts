import type { Reading } from '../api/types.ts';
import { type StreamConnection, stream } from './stream-connection.ts';

type Listener = (reading: Reading) => void;

export function signalKey(instrument: string, signal: string): string {
  return `${instrument}.${signal}`;
}

/**
 * Latest value of every signal the page shows, with per-signal subscribers. Live values never
 * go through React state: `paint` listeners update DOM text once per animation frame with the
 * newest value (however many readings arrived), `watch` listeners see every reading (plots
 * append them). Subscribing also asks the server for the signal.
 */
export class LiveStore {
  private readonly latest = new Map<string, Reading>();
  private readonly watchers = new Map<string, Set<Listener>>();
  private readonly painters = new Map<string, Set<Listener>>();
  private readonly dirty = new Set<string>();
  private frameRequested = false;
  private readonly connection: StreamConnection;

  constructor(connection: StreamConnection) {
    this.connection = connection;
    connection.on('reading', (m) => this.push(m as unknown as Reading));
  }

  get(key: string): Reading | undefined {
    return this.latest.get(key);
  }

  push(reading: Reading): void {
    const key = signalKey(reading.instrument, reading.signal);
    const previous = this.latest.get(key);
    if (previous && previous.timestamp > reading.timestamp) return;
    this.latest.set(key, reading);
    for (const l of this.watchers.get(key) ?? []) l(reading);
    if (this.painters.has(key)) {
      this.dirty.add(key);
      this.requestFrame();
    }
  }

  /** Every reading, as it arrives. */
  watch(key: string, listener: Listener): () => void {
    return this.add(this.watchers, key, listener);
  }

  /** The newest reading, at most once per animation frame; called at once with the value known now. */
  paint(key: string, listener: Listener): () => void {
    const off = this.add(this.painters, key, listener);
    const known = this.latest.get(key);
    if (known) listener(known);
    return off;
  }

  private add(map: Map<string, Set<Listener>>, key: string, listener: Listener): () => void {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    set.add(listener);
    const release = this.connection.addSignals([key]);
    return () => {
      set.delete(listener);
      if (set.size === 0) map.delete(key);
      release();
    };
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      for (const key of this.dirty) {
        const reading = this.latest.get(key);
        if (!reading) continue;
        for (const l of this.painters.get(key) ?? []) {
          // One broken painter must not leave every value after it unpainted.
          try {
            l(reading);
          } catch (error) {
            reportError(error);
          }
        }
      }
      this.dirty.clear();
    });
  }
}

export const live = new LiveStore(stream);
