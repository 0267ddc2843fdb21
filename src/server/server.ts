import '@fastify/swagger';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { BenchtopError } from '../core/errors.ts';
import { BENCHTOP_VERSION } from '../core/version.ts';
import { IsiAnalysisService } from '../imaging/isi-analysis-service.ts';
import { installAuth } from './auth/auth-plugin.ts';
import type { ServerContext } from './context.ts';
import { dashboardPlugin } from './dashboard-plugin.ts';
import { installErrorReplies } from './error-reply.ts';
import { healthPlugin } from './health-plugin.ts';
import { lazyResponseSerializers } from './lazy-serializers.ts';
import { installReplyCheck } from './reply-check.ts';
import { alarmRoutes } from './routes/alarm-routes.ts';
import { historyRoutes } from './routes/history-routes.ts';
import { instrumentRoutes } from './routes/instrument-routes.ts';
import { isiAnalysisRoutes } from './routes/isi-analysis-routes.ts';
import { recipeRoutes } from './routes/recipe-routes.ts';
import { runRoutes } from './routes/run-routes.ts';
import { systemRoutes } from './routes/system-routes.ts';
import { StreamHub } from './stream/stream-hub.ts';

/** How often the security database is checked for changes made by another process. */
const SECURITY_POLL_MS = 2_000;

export interface BuiltServer {
  app: FastifyInstance;
  hub: StreamHub;
}

/** Builds the HTTP server with every plugin registered; listening is the caller's job. */
export async function buildServer(
  ctx: ServerContext,
  options: {
    /** Called for every route as it is registered (tests walk them all). */
    onRoute?: (route: RouteOptions) => void;
    /** Fail (500) any reply its response schema does not allow, instead of trimming it (tests). */
    checkReplies?: boolean;
  } = {},
): Promise<BuiltServer> {
  const { config } = ctx;
  const app = Fastify({
    // Per-request lines would drown the log at dashboard rates; failures are still logged.
    loggerInstance: ctx.logger.child({ component: 'http' }, { level: 'warn' }),
    bodyLimit: config.server.body_limit_bytes,
    // Response serializers are compiled at each route's first reply, not all at start-up.
    schemaController: { compilersFactory: { buildSerializer: lazyResponseSerializers() } },
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        keywords: ['unit', 'secret'],
      },
    },
    ...(config.server.tls ? { https: await tlsOptions(config.server.tls) } : {}),
  }) as unknown as FastifyInstance;
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  if (options.checkReplies) installReplyCheck(app);
  installErrorReplies(app);
  // A POST without a body means "no arguments": `benchtop call stage.axis1.home`, ack without comment.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
  await app.register(cors, {
    // Closed unless origins are listed: a browser on another origin cannot call the API.
    origin: config.server.cors_origins.length > 0 ? config.server.cors_origins : false,
    credentials: true,
    // The API writes with PUT, PATCH and DELETE too; the default list (GET, HEAD, POST) blocks them.
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  });
  await app.register(swagger, {
    openapi: {
      // 3.1: its schemas are JSON Schema 2020-12, which is what TypeBox writes (numeric
      // exclusiveMinimum, type "null"); a 3.0 document could not carry them.
      openapi: '3.1.0',
      info: {
        title: 'Benchtop API',
        version: BENCHTOP_VERSION,
        description: 'Instruments, runs, history, alarms',
      },
      tags: [
        { name: 'instruments' },
        { name: 'runs' },
        { name: 'history' },
        { name: 'recipes' },
        { name: 'alarms' },
        { name: 'health' },
        { name: 'system' },
        { name: 'imaging' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  if (config.server.rate_limit_per_minute > 0) {
    await app.register(rateLimit, {
      global: true,
      // Before any route, auth's own included, and in onRequest after authentication has named the
      // caller (a global hook, so it runs first) but before a refusal is sent: a key or user is
      // limited as itself, the rest by address, and rejected requests count too.
      hook: 'onRequest',
      max: config.server.rate_limit_per_minute,
      timeWindow: 60_000,
      keyGenerator: (request) =>
        request.principal && request.principal.kind !== 'local'
          ? `${request.principal.kind}:${request.principal.name}`
          : request.ip,
      errorResponseBuilder: (_request, context) => {
        const error = new BenchtopError(
          'RATE_LIMITED',
          `rate limit exceeded: ${context.max} requests per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
          {
            limit: context.max,
            retry_after_s: Math.ceil(context.ttl / 1000),
          },
        );
        return Object.assign(error, { statusCode: 429 });
      },
    });
  }

  const auth = await installAuth(app, { config, store: ctx.security, clock: ctx.clock });
  const hub = new StreamHub({ bus: ctx.bus, clock: ctx.clock, metrics: ctx.metrics, logger: ctx.logger });
  // A revoked key or removed user loses its open streams at once, not at its next request. Changes
  // made by another process (the CLI) are noticed by polling SQLite's data_version.
  const offSecurity = ctx.security.onChange(() => hub.recheck(auth.recheck));
  let pollTimer = ctx.clock.setTimeout(function poll() {
    ctx.security.pollExternalChanges();
    pollTimer = ctx.clock.setTimeout(poll, SECURITY_POLL_MS);
  }, SECURITY_POLL_MS);
  app.addHook('onClose', async () => {
    pollTimer.cancel();
    offSecurity();
    await hub.close();
  });

  await app.register(healthPlugin(ctx.health));
  if (config.metrics.enabled) {
    app.get(
      config.metrics.path,
      { logLevel: 'warn', schema: { tags: ['system'], summary: 'Prometheus metrics', hide: true } },
      async (_req, reply) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.text()),
    );
  }
  await app.register(
    async (api) => {
      await api.register(instrumentRoutes(ctx));
      if (ctx.alarms) await api.register(alarmRoutes(ctx.alarms));
      if (ctx.production) {
        // Only a server with [[lines]] loads the line routes (and the report code behind them).
        const [{ lineRoutes }, { lineControlRoutes }] = await Promise.all([
          import('./routes/line-routes.ts'),
          import('./routes/line-control-routes.ts'),
        ]);
        await api.register(lineRoutes(ctx.production, ctx.clock));
        const control = ctx.production.control;
        const health = ctx.production.health;
        if (control) await api.register(lineControlRoutes({ control, ...(health ? { health } : {}) }));
      }
      if (ctx.engine)
        await api.register(runRoutes(ctx.engine, ctx.catalog, config.storage.output_dir, ctx.remoteFiles));
      if (ctx.timeseries) await api.register(historyRoutes(ctx.timeseries, ctx.clock));
      if (ctx.recipes) {
        const engine = ctx.engine;
        await api.register(recipeRoutes(ctx.recipes, config.process, engine && (() => engine.devices())));
      }
      await api.register(systemRoutes(ctx, ctx.logRing, ctx.startedAt ?? ctx.clock.now()));
      // Offline analysis needs no instrument: sessions under the output directory, from any rig.
      const isiAnalysis = new IsiAnalysisService({ outputDir: config.storage.output_dir, log: ctx.logger });
      app.addHook('onClose', () => isiAnalysis.close());
      // Record mode needs a stimulus display to present the protocol; without one there is nothing
      // to record, and its modules (the session writer, playback, h5wasm with them) stay unloaded.
      if (config.instruments.some((e) => e.enabled && e.type === 'StimulusDisplay')) {
        const [{ IsiSessionService }, { isiRoutes }] = await Promise.all([
          import('../imaging/isi-session-service.ts'),
          import('./routes/isi-routes.ts'),
        ]);
        await api.register(
          isiRoutes(
            new IsiSessionService({
              outputDir: config.storage.output_dir,
              bus: ctx.bus,
              clock: ctx.clock,
              log: ctx.logger,
              // Each recording's online maps: on the stream's imaging channel and as layers.
              online: (session) => {
                const online = isiAnalysis.follow({
                  session: session.id,
                  path: session.path,
                  bus: ctx.bus,
                  clock: ctx.clock,
                  anatomical: session.anatomical,
                });
                return { observer: online, ended: () => isiAnalysis.recordingEnded(online.analysis) };
              },
            }),
            ctx.instruments,
          ),
        );
      }
      await api.register(isiAnalysisRoutes(isiAnalysis));
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      api.get(
        '/stream',
        { websocket: true, config: { credentialsInQuery: true }, schema: { hide: true } },
        (socket, request) => {
          // The upgraded request's socket is the one the WebSocket writes to: corked per turn.
          const session = hub.connect(socket, request.principal, request.raw.socket);
          socket.on('message', (data: Buffer, isBinary: boolean) => {
            if (isBinary)
              session.client.sendEvent({
                type: 'error',
                code: 'VALIDATION_FAILED',
                message: 'binary messages are not accepted',
              });
            else session.onMessage(data.toString('utf8'));
          });
          socket.on('close', session.onClose);
          socket.on('error', session.onClose);
        },
      );
    },
    { prefix: '/api/v1' },
  );
  await app.register(dashboardPlugin({ reservedPrefixes: ['/api', '/health', config.metrics.path] }));
  return { app, hub };
}

async function tlsOptions(tls: { cert: string; key: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const { readFile } = await import('node:fs/promises');
  return { cert: await readFile(tls.cert), key: await readFile(tls.key) };
}
