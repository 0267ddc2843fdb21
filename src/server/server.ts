import Fastify, { type FastifyInstance } from 'fastify';
import type { BenchtopConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import { installErrorReplies } from './error-reply.ts';
import { healthPlugin } from './health-plugin.ts';

export interface ServerDeps {
  config: BenchtopConfig;
  logger: Logger;
}

/** Builds the HTTP server with every plugin registered; listening is the caller's job. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    // Per-request lines would drown the log at dashboard rates; failures are still logged.
    loggerInstance: deps.logger.child({ component: 'http' }, { level: 'warn' }),
    bodyLimit: config.server.body_limit_bytes,
    ...(config.server.tls ? { https: await tlsOptions(config.server.tls) } : {}),
  }) as unknown as FastifyInstance;
  installErrorReplies(app);
  await app.register(healthPlugin);
  return app;
}

async function tlsOptions(tls: { cert: string; key: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const { readFile } = await import('node:fs/promises');
  return { cert: await readFile(tls.cert), key: await readFile(tls.key) };
}
