import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BenchtopError } from '../../core/errors.ts';
import type { TimeSeriesStore } from '../../storage/timeseries/timeseries-store.ts';
import { ErrorResponses, HistoryReply } from '../api-types.ts';
import { parseTimeSeconds } from './run-routes.ts';

/** Signals one history request may ask for. */
export const MAX_HISTORY_SIGNALS = 100;
/** Points (signals × buckets) one history request may return at most. */
export const MAX_HISTORY_POINTS = 200_000;
/** Times are epoch ms between 1970 and the end of year 9999 (what ISO 8601 and Date can say). */
const LATEST_MS = Date.UTC(10_000, 0, 1);

/** An epoch-ms bound the parameter log can hold, or a 400 that says what was given. */
function checkedTime(ms: number, field: 'from' | 'to'): number {
  if (!Number.isFinite(ms) || ms < 0 || ms >= LATEST_MS)
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `${field}: ${ms} ms is outside 1970-01-01 … 9999-12-31 (ISO 8601, epoch seconds or epoch ms)`,
      { field, value: ms },
    );
  return ms;
}

/**
 * /api/v1/history: the parameter log over a time range, downsampled (min/max/mean per bucket)
 * when long. The work is bounded: at most MAX_HISTORY_SIGNALS signals and MAX_HISTORY_POINTS
 * points per request, times within 1970–9999, and the store reads long ranges in steps.
 */
export function historyRoutes(store: TimeSeriesStore, clock: { now(): number }) {
  return async (app: FastifyInstance) => {
    app.get(
      '/history',
      {
        schema: {
          tags: ['history'],
          summary: 'Parameter log for signals over [from, to): raw points, or min/max/mean per bucket',
          querystring: Type.Object({
            signals: Type.String({
              minLength: 1,
              maxLength: 20_000,
              description: `comma-separated instrument.signal names (at most ${MAX_HISTORY_SIGNALS})`,
            }),
            from: Type.Optional(
              Type.String({ maxLength: 64, description: 'ISO 8601 or epoch; default one hour ago' }),
            ),
            to: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601 or epoch; default now' })),
            buckets: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
          }),
          response: { 200: HistoryReply, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof HistoryReply>> => {
        const q = request.query as { signals: string; from?: string; to?: string; buckets: number };
        const to = checkedTime((parseTimeSeconds(q.to, 'to') ?? clock.now() / 1000) * 1000, 'to');
        const from = checkedTime((parseTimeSeconds(q.from, 'from') ?? to / 1000 - 3600) * 1000, 'from');
        if (from >= to) throw new BenchtopError('VALIDATION_FAILED', 'from must be before to', { from, to });
        const signals = [
          ...new Set(
            q.signals
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          ),
        ];
        if (signals.length > MAX_HISTORY_SIGNALS)
          throw new BenchtopError(
            'VALIDATION_FAILED',
            `signals: ${signals.length} asked, at most ${MAX_HISTORY_SIGNALS} per request`,
            { field: 'signals', count: signals.length, max: MAX_HISTORY_SIGNALS },
          );
        if (signals.length * q.buckets > MAX_HISTORY_POINTS)
          throw new BenchtopError(
            'VALIDATION_FAILED',
            `${signals.length} signals × ${q.buckets} buckets is more than ${MAX_HISTORY_POINTS} points: ask for fewer buckets or signals`,
            { field: 'buckets', signals: signals.length, buckets: q.buckets, max_points: MAX_HISTORY_POINTS },
          );
        return { from, to, series: await store.query({ signals, from, to, buckets: q.buckets }) };
      },
    );
  };
}
