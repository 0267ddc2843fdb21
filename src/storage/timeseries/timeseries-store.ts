import { BenchtopError } from '../../core/errors.ts';

/**
 * One logged value. `time` is epoch milliseconds, stored at millisecond resolution; a sample
 * whose instrument could not be read has `value: null` and says why in `quality`.
 */
export interface Sample {
  signal: string;
  time: number;
  value: number | null;
  quality?: string;
}

/** Signals over the half-open range [from, to) (epoch ms), at most `buckets` points each. */
export interface SeriesQuery {
  signals: string[];
  from: number;
  to: number;
  buckets: number;
}

export interface RawPoint {
  time: number;
  value: number | null;
  quality?: string;
}

/** One time bucket; statistics are over the samples that have a value. */
export interface Bucket {
  /** Bucket start, epoch ms: `from + i × bucketMs`. */
  time: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Samples with a value. */
  count: number;
  /** Samples without a value (instrument down, invalid reading). */
  nulls: number;
}

/**
 * The stored points when there are no more than `buckets` of them in the range; otherwise
 * min/max/mean/count per bucket, only for buckets that hold samples.
 */
export type Series =
  | { signal: string; kind: 'raw'; points: RawPoint[] }
  | { signal: string; kind: 'buckets'; bucketMs: number; buckets: Bucket[] };

/**
 * The continuous parameter log. A sample for a (signal, time) already stored is ignored, so
 * a batch retried after a timeout does not duplicate rows.
 */
export interface TimeSeriesStore {
  /** Backend name for logs and health: sqlite | postgres | timescaledb. */
  readonly kind: string;
  insert(samples: readonly Sample[]): Promise<void>;
  /** One series per requested signal, in the order asked (empty for unknown signals). */
  query(query: SeriesQuery): Promise<Series[]>;
  /** Deletes samples with time < `time`; returns how many. */
  deleteOlderThan(time: number): Promise<number>;
  close(): Promise<void>;
}

export const MAX_BUCKETS = 10_000;

/** The validated, integer-millisecond form of a query. */
export interface SeriesPlan {
  signals: string[];
  from: number;
  to: number;
  buckets: number;
  bucketMs: number;
}

export function planSeriesQuery(query: SeriesQuery): SeriesPlan {
  const { signals, from, to, buckets } = query;
  if (
    !Array.isArray(signals) ||
    signals.length === 0 ||
    signals.some((s) => typeof s !== 'string' || s === '')
  ) {
    throw invalid('signals', signals, 'signals must be a non-empty list of signal names');
  }
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
    throw invalid('to', to, `from must be before to (epoch ms); got from=${from}, to=${to}`);
  }
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
    throw invalid('buckets', buckets, `buckets must be an integer 1–${MAX_BUCKETS}; got ${buckets}`);
  }
  // Times are whole milliseconds, so [from, to) holds the same samples as [⌈from⌉, ⌈to⌉).
  const start = Math.ceil(from);
  const end = Math.ceil(to);
  return {
    signals: [...new Set(signals)],
    from: start,
    to: end,
    buckets,
    bucketMs: Math.max(1, Math.ceil((end - start) / buckets)),
  };
}

/** Checks a whole batch before anything is written, and rounds times to milliseconds. */
export function normalizeSamples(samples: readonly Sample[]): Sample[] {
  return samples.map((sample, index) => {
    if (typeof sample.signal !== 'string' || sample.signal === '') {
      throw invalid(`samples[${index}].signal`, sample.signal, `samples[${index}] has no signal name`);
    }
    if (!Number.isFinite(sample.time)) {
      throw invalid(
        `samples[${index}].time`,
        sample.time,
        `samples[${index}] (${sample.signal}) has time ${sample.time}; expected epoch milliseconds`,
      );
    }
    if (sample.value !== null && !Number.isFinite(sample.value)) {
      throw invalid(
        `samples[${index}].value`,
        sample.value,
        `samples[${index}] (${sample.signal}) has value ${sample.value}; expected a finite number or null`,
      );
    }
    const time = Math.round(sample.time);
    return sample.quality === undefined
      ? { signal: sample.signal, time, value: sample.value }
      : { signal: sample.signal, time, value: sample.value, quality: sample.quality };
  });
}

function invalid(field: string, value: unknown, message: string): BenchtopError {
  return new BenchtopError('VALIDATION_FAILED', message, { field, value });
}
