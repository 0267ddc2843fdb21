import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { redactConfig } from '../../config/redact.ts';
import type { LogRing } from '../../core/log-ring.ts';
import { versions } from '../../core/version.ts';
import {
  ErrorResponses,
  type LogRecord,
  LogRecord as LogRecordSchema,
  RedactedConfig,
  SystemInfo,
} from '../api-types.ts';
import type { ServerContext } from '../context.ts';
import { ChannelRoles } from '../stream/stream-protocol.ts';

/** /api/v1/config (admin, secrets redacted), /api/v1/system, /api/v1/logs. */
export function systemRoutes(ctx: ServerContext, logRing: LogRing | undefined, startedAt: number) {
  return async (app: FastifyInstance) => {
    app.get(
      '/config',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['system'],
          summary: 'Effective configuration, secrets redacted',
          response: { 200: RedactedConfig, ...ErrorResponses },
        },
      },
      async () => redactConfig(ctx.config),
    );
    app.get(
      '/system',
      {
        schema: {
          tags: ['system'],
          summary: 'Version, uptime, process figures',
          response: { 200: SystemInfo, ...ErrorResponses },
        },
      },
      async (): Promise<Static<typeof SystemInfo>> => {
        const memory = process.memoryUsage();
        return {
          name: ctx.config.application.name,
          versions: versions(),
          started_at: new Date(startedAt).toISOString(),
          uptime_s: (ctx.clock.now() - startedAt) / 1000,
          pid: process.pid,
          simulation: ctx.config.simulation.enabled,
          auth: ctx.config.security.auth,
          storage: { backend: ctx.config.storage.default_backend, output_dir: ctx.config.storage.output_dir },
          memory: { rss: memory.rss, heap_used: memory.heapUsed },
          instruments: ctx.instruments.list().map((i) => ({ id: i.id, type: i.type, state: i.state })),
        };
      },
    );
    app.get(
      '/logs',
      {
        // The same rule as the stream's logs channel.
        config: { role: ChannelRoles.logs },
        schema: {
          tags: ['system'],
          summary: 'Recent log records',
          querystring: Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
            level: Type.Optional(
              Type.Union(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => Type.Literal(l))),
            ),
          }),
          response: { 200: Type.Array(LogRecordSchema), ...ErrorResponses },
        },
      },
      async (request): Promise<LogRecord[]> => {
        const { limit, level } = request.query as { limit: number; level?: string };
        return logRing?.recent(limit, level) ?? [];
      },
    );
  };
}
