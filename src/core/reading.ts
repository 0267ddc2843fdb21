import type { SignalValue } from './device.ts';

export type ReadingQuality = 'good' | 'invalid';

/** A value with where and when it came from; published on the bus as `instrument.reading`. */
export interface Reading {
  instrument: string;
  signal: string;
  value: SignalValue;
  /** Epoch milliseconds when the value was read. */
  timestamp: number;
  unit?: string;
  quality: ReadingQuality;
}
