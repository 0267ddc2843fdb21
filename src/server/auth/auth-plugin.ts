import './fastify-types.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BenchtopConfig } from '../../config/schema.ts';
import type { Clock } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import { signToken, verifyToken } from './jwt.ts';
import { type Principal, type Role, roleAtLeast } from './roles.ts';
import type { SecurityStore } from './security-store.ts';

const LOCAL: Principal = { kind: 'local', name: 'local', role: 'admin' };

/** Fields never written to the audit log. */
const SECRET_FIELDS = new Set(['password', 'refresh_token', 'key', 'token']);

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '***' : scrub(v)]),
  );
}

export interface AuthOptions {
  config: BenchtopConfig;
  store: SecurityStore;
  clock: Clock;
}

/**
 * Who is calling and what they may do. With `[security] auth = "none"` (only allowed on a
 * loopback bind) every caller is the local admin. Otherwise a request carries an API key
 * (`X-API-Key`, or `Authorization: Bearer btk_…` for Prometheus) or a JWT from /auth/login;
 * the WebSocket may pass `?token=` or `?api_key=` since browsers cannot set its headers.
 * Each route states its least role; every control action lands in the audit log.
 */
export async function installAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const { config, store, clock } = options;
  const required = config.security.auth === 'required';
  const secret = config.security.jwt_secret;

  const fromCredentials = (request: FastifyRequest): Principal | BenchtopError | null => {
    const header = request.headers.authorization;
    const query = request.query as Record<string, string | undefined> | undefined;
    const isStream = request.url.startsWith('/api/v1/stream');
    const apiKey =
      (request.headers['x-api-key'] as string | undefined) ??
      (header?.startsWith('Bearer btk_') ? header.slice(7) : undefined) ??
      (isStream ? query?.api_key : undefined);
    if (apiKey) {
      const key = store.checkKey(apiKey);
      return key
        ? { kind: 'key', name: key.name, role: key.role }
        : new BenchtopError('UNAUTHORIZED', 'unknown or revoked API key');
    }
    const token = header?.startsWith('Bearer ') ? header.slice(7) : isStream ? query?.token : undefined;
    if (token) {
      if (!secret)
        return new BenchtopError('UNAUTHORIZED', 'tokens are not accepted: [security] jwt_secret is not set');
      const claims = verifyToken(token, secret, Math.floor(clock.now() / 1000));
      if ('invalid' in claims) return new BenchtopError('UNAUTHORIZED', `invalid token: ${claims.invalid}`);
      return { kind: 'user', name: claims.sub, role: claims.role as Role };
    }
    return null;
  };

  const issueTokens = (user: { name: string; role: Role }) => {
    if (!secret) throw new BenchtopError('UNAUTHORIZED', 'login is not available: set [security] jwt_secret');
    const now = Math.floor(clock.now() / 1000);
    const access = signToken(
      { sub: user.name, role: user.role, iat: now, exp: now + config.security.jwt_expiry_s, typ: 'access' },
      secret,
    );
    const refresh = store.issueRefreshToken(user.name, now + config.security.refresh_expiry_s);
    return {
      access_token: access,
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: config.security.jwt_expiry_s,
      user: user.name,
      role: user.role,
    };
  };

  const audit = (
    request: FastifyRequest,
    reply: FastifyReply,
    result: 'ok' | 'error' | 'denied',
    error: string | null,
  ) => {
    const action = request.routeOptions.config.audit;
    if (!action) return;
    const params = request.params as Record<string, string> | undefined;
    store.audit({
      time: new Date(clock.now()).toISOString(),
      actor: request.principal?.name ?? 'anonymous',
      role: request.principal?.role ?? 'none',
      action,
      target: params ? Object.values(params).join('.') || null : null,
      details: scrub({ body: request.body ?? null, query: request.query ?? null, status: reply.statusCode }),
      result,
      error,
    });
  };

  {
    app.decorateRequest('principal', null as unknown as Principal);

    app.addHook('onRequest', async (request) => {
      const found = fromCredentials(request);
      if (found instanceof BenchtopError) {
        if (request.routeOptions.config.public) return;
        throw found;
      }
      if (found) {
        request.principal = found;
        return;
      }
      if (!required) {
        request.principal = LOCAL;
        return;
      }
      const guarded = request.url.startsWith('/api/') || request.url.startsWith(config.metrics.path);
      if (request.routeOptions.config.public || !guarded) return;
      throw new BenchtopError(
        'UNAUTHORIZED',
        'authentication required: send X-API-Key or Authorization: Bearer <token> (POST /api/v1/auth/login)',
      );
    });

    app.addHook('preHandler', async (request, reply) => {
      const cfg = request.routeOptions.config;
      if (cfg.public || !request.principal) return;
      const needed: Role =
        cfg.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'operator');
      if (!roleAtLeast(request.principal.role, needed)) {
        audit(request, reply, 'denied', `needs role ${needed}`);
        (request as FastifyRequest & { audited?: boolean }).audited = true;
        throw new BenchtopError(
          'FORBIDDEN',
          `${request.principal.name} (${request.principal.role}) may not do this: needs role ${needed}`,
          {
            role: request.principal.role,
            needed,
          },
        );
      }
    });

    app.addHook('onError', async (request, reply, error) => {
      const r = request as FastifyRequest & { audited?: boolean };
      if (!r.audited) audit(request, reply, 'error', error.message);
      r.audited = true;
    });
    app.addHook('onResponse', async (request, reply) => {
      if ((request as FastifyRequest & { audited?: boolean }).audited) return;
      audit(
        request,
        reply,
        reply.statusCode < 400 ? 'ok' : 'error',
        reply.statusCode < 400 ? null : `HTTP ${reply.statusCode}`,
      );
    });

    const Credentials = Type.Object(
      { username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    );
    app.post(
      '/api/v1/auth/login',
      {
        config: { public: true, audit: 'auth.login' },
        schema: { tags: ['system'], summary: 'Log in for a JWT', body: Credentials },
      },
      async (request) => {
        const { username, password } = request.body as { username: string; password: string };
        const user = await store.checkPassword(username, password);
        if (!user) throw new BenchtopError('UNAUTHORIZED', 'wrong user name or password');
        request.principal = { kind: 'user', ...user };
        return issueTokens(user);
      },
    );
    app.post(
      '/api/v1/auth/refresh',
      {
        config: { public: true },
        schema: {
          tags: ['system'],
          summary: 'Exchange a refresh token for new tokens',
          body: Type.Object({ refresh_token: Type.String() }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const user = store.consumeRefreshToken(
          (request.body as { refresh_token: string }).refresh_token,
          Math.floor(clock.now() / 1000),
        );
        if (!user)
          throw new BenchtopError('UNAUTHORIZED', 'refresh token unknown, used or expired: log in again');
        return issueTokens(user);
      },
    );
    app.post(
      '/api/v1/auth/logout',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['system'],
          body: Type.Object({ refresh_token: Type.String() }, { additionalProperties: false }),
        },
      },
      async (request) => {
        store.revokeRefreshToken((request.body as { refresh_token: string }).refresh_token);
        return { ok: true };
      },
    );
    app.get('/api/v1/auth/me', { schema: { tags: ['system'], summary: 'Who am I' } }, async (request) => ({
      ...request.principal,
      auth: config.security.auth,
    }));

    app.get('/api/v1/keys', { config: { role: 'admin' }, schema: { tags: ['system'] } }, async () =>
      store.listKeys(),
    );
    app.post(
      '/api/v1/keys',
      {
        config: { role: 'admin', audit: 'key.create' },
        schema: {
          tags: ['system'],
          body: Type.Object(
            {
              name: Type.String({ minLength: 1 }),
              role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const { name, role } = request.body as { name: string; role: Role };
        return store.createKey(name, role);
      },
    );
    app.delete(
      '/api/v1/keys/:id',
      { config: { role: 'admin', audit: 'key.revoke' }, schema: { tags: ['system'] } },
      async (request) => {
        if (!store.revokeKey((request.params as { id: string }).id))
          throw new BenchtopError('NOT_FOUND', 'no such active key');
        return { ok: true };
      },
    );
    app.get('/api/v1/users', { config: { role: 'admin' }, schema: { tags: ['system'] } }, async () =>
      store.listUsers(),
    );
    app.post(
      '/api/v1/users',
      {
        config: { role: 'admin', audit: 'user.create' },
        schema: {
          tags: ['system'],
          body: Type.Object(
            {
              name: Type.String({ minLength: 1 }),
              role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]),
              password: Type.String({ minLength: 8 }),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const { name, role, password } = request.body as { name: string; role: Role; password: string };
        await store.addUser(name, role, password);
        return { ok: true };
      },
    );
    app.delete(
      '/api/v1/users/:name',
      { config: { role: 'admin', audit: 'user.remove' }, schema: { tags: ['system'] } },
      async (request) => {
        if (!store.removeUser((request.params as { name: string }).name))
          throw new BenchtopError('NOT_FOUND', 'no such user');
        return { ok: true };
      },
    );
    app.get(
      '/api/v1/audit',
      { config: { role: 'admin' }, schema: { tags: ['system'], summary: 'Audit log of control actions' } },
      async (request) => {
        const q = request.query as { limit?: string; since?: string; actor?: string; action?: string };
        return store.auditLog({
          ...(q.limit ? { limit: Number(q.limit) } : {}),
          ...(q.since ? { since: q.since } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.action ? { action: q.action } : {}),
        });
      },
    );
  }
}
