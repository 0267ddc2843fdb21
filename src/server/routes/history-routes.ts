import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BenchtopError } from '../../core/errors.ts';
import type { TimeSeriesStore } from '../../storage/timeseries/timeseries-store.ts';
import { ErrorResponses, HistoryReply } from '../api-types.ts';
import { parseTimeSeconds } from './run-routes.ts';

/** /api/v1/history: the parameter log over a time range, downsampled (min/max/mean per bucket) when long. */
export function historyRoutes(store: TimeSeriesStore, clock: { now(): number }) {
  return async (app: FastifyInstance) => {
    app.get(
      '/history',
      {
        schema: {
          tags: ['history'],
          summary: 'Parameter log for signals over [from, to): raw points, or min/max/mean per bucket',
          querystring: Type.Object({
            signals: Type.String({ minLength: 1, description: 'comma-separated instrument.signal names' }),
            from: Type.Optional(Type.String({ description: 'ISO 8601 or epoch; default one hour ago' })),
            to: Type.Optional(Type.String({ description: 'ISO 8601 or epoch; default now' })),
            buckets: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
          }),
          response: { 200: HistoryReply, ...ErrorResponses },
        },
      },
      async (request): Promise<Static<typeof HistoryReply>> => {
        const q = request.query as { signals: string; from?: string; to?: string; buckets: number };
        const to = (parseTimeSeconds(q.to, 'to') ?? clock.now() / 1000) * 1000;
        const from = (parseTimeSeconds(q.from, 'from') ?? to / 1000 - 3600) * 1000;
        if (from >= to) throw new BenchtopError('VALIDATION_FAILED', 'from must be before to', { from, to });
        const signals = q.signals
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        return { from, to, series: await store.query({ signals, from, to, buckets: q.buckets }) };
      },
    );
  };
}
