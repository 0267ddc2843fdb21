import type { FastifyInstance } from 'fastify';
import { ErrorResponses, HealthReport, Liveness } from './api-types.ts';
import type { HealthService } from './health/health-service.ts';

/**
 * `/health/basic` is liveness (the process serves HTTP), public. `/health` is readiness with its
 * checks, 503 when unhealthy; its details (instrument types, errors, storage path, free bytes)
 * need a viewer when authentication is required.
 */
export function healthPlugin(health: HealthService) {
  return async (app: FastifyInstance) => {
    app.get(
      '/health/basic',
      {
        logLevel: 'warn',
        config: { public: true, rateLimit: false },
        schema: { tags: ['health'], summary: 'Liveness', response: { 200: Liveness, ...ErrorResponses } },
      },
      async () => ({ status: 'ok' }),
    );
    app.get(
      '/health',
      {
        logLevel: 'warn',
        config: { rateLimit: false },
        schema: {
          tags: ['health'],
          summary: 'Readiness with per-check details (503 when unhealthy)',
          response: { 200: HealthReport, 503: HealthReport, ...ErrorResponses },
        },
      },
      async (_request, reply) => {
        const report: HealthReport = await health.report();
        return reply.status(report.status === 'unhealthy' ? 503 : 200).send(report);
      },
    );
  };
}
