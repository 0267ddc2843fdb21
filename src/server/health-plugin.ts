import type { FastifyInstance } from 'fastify';

/** Liveness: answers as long as the process serves HTTP. Readiness and checks come with /health. */
export async function healthPlugin(app: FastifyInstance): Promise<void> {
  app.get('/health/basic', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
}
