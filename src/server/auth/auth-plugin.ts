import './fastify-types.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BenchtopConfig } from '../../config/schema.ts';
import type { Clock } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import {
  ApiKeyInfo,
  AuditEntry,
  ErrorResponses,
  NewApiKey,
  Ok,
  PasswordChanged,
  Tokens,
  UserInfo,
  Principal as WhoAmI,
} from '../api-types.ts';
import { scrubForAudit } from './audit-scrub.ts';
import { signToken, verifyToken } from './jwt.ts';
import { LoginBackoff } from './login-backoff.ts';
import { type Principal, type Role, Roles, roleAtLeast } from './roles.ts';
import { type ActiveUser, AUDIT_PAGE_MAX, type SecurityStore } from './security-store.ts';

const LOCAL: Principal = { kind: 'local', name: 'local', role: 'admin' };

export interface AuthOptions {
  config: BenchtopConfig;
  store: SecurityStore;
  clock: Clock;
}

export interface InstalledAuth {
  /** The principal as the security store sees it now (its current role), or null if its key or user is gone. */
  recheck(principal: Principal): Principal | null;
}

const NO_CREDENTIALS =
  'authentication required: send X-API-Key or Authorization: Bearer <token> (POST /api/v1/auth/login)';
const STALE_TOKEN = 'token no longer valid: the user was removed or their password changed; log in again';

/**
 * Who is calling and what they may do. With `[security] auth = "none"` (only allowed on a
 * loopback bind) every caller is the local admin. Otherwise a request carries an API key
 * (`X-API-Key`, or `Authorization: Bearer btk_…` for Prometheus) or a JWT from /auth/login;
 * the WebSocket may pass `?token=` or `?api_key=` since browsers cannot set its headers.
 *
 * Decisions are made on the route the router matched, never on the URL text (which may be
 * percent-encoded or absolute-form), and deny by default: only a route whose config says
 * `public` is reachable without a principal. Keys and users are looked up in the security
 * store on every request, so a revoked key or removed user stops working at once.
 * Each route states its least role; every control action lands in the audit log.
 */
export async function installAuth(app: FastifyInstance, options: AuthOptions): Promise<InstalledAuth> {
  const { config, store, clock } = options;
  const required = config.security.auth === 'required';
  const secret = config.security.jwt_secret;
  const backoff = new LoginBackoff(clock);
  /** Per address, on the routes that take a password or a refresh token. */
  const loginLimit = { rateLimit: { max: config.security.login_attempts_per_minute, timeWindow: 60_000 } };

  const fromCredentials = (request: FastifyRequest): Principal | BenchtopError | null => {
    const header = request.headers.authorization;
    const inQuery = request.routeOptions.config?.credentialsInQuery === true;
    const query = inQuery ? (request.query as Record<string, string | undefined> | undefined) : undefined;
    const apiKey =
      (request.headers['x-api-key'] as string | undefined) ??
      (header?.startsWith('Bearer btk_') ? header.slice(7) : undefined) ??
      query?.api_key;
    if (apiKey) {
      const key = store.findKey(apiKey);
      return key
        ? { kind: 'key', name: key.name, role: key.role, ref: key.id }
        : new BenchtopError('UNAUTHORIZED', 'unknown or revoked API key');
    }
    const token = header?.startsWith('Bearer ') ? header.slice(7) : query?.token;
    if (token) {
      if (!secret)
        return new BenchtopError('UNAUTHORIZED', 'tokens are not accepted: [security] jwt_secret is not set');
      const claims = verifyToken(token, secret, Math.floor(clock.now() / 1000));
      if ('invalid' in claims) return new BenchtopError('UNAUTHORIZED', `invalid token: ${claims.invalid}`);
      // The user as they are now: a removed user's token is refused, a re-created one's carries
      // a stale session stamp, and the role is today's, not the one written into the token.
      const user = store.activeUser(claims.sub);
      if (!user || user.session !== (claims.sid ?? '')) return new BenchtopError('UNAUTHORIZED', STALE_TOKEN);
      return { kind: 'user', name: user.name, role: user.role, ref: user.session };
    }
    return null;
  };

  const recheck = (principal: Principal): Principal | null => {
    if (principal.kind === 'local') return principal;
    if (principal.kind === 'key') return principal.ref && store.keyActive(principal.ref) ? principal : null;
    const user = store.activeUser(principal.name);
    return user && user.session === principal.ref ? { ...principal, role: user.role } : null;
  };

  const issueTokens = (user: ActiveUser) => {
    if (!secret) throw new BenchtopError('UNAUTHORIZED', 'login is not available: set [security] jwt_secret');
    const now = Math.floor(clock.now() / 1000);
    const access = signToken(
      {
        sub: user.name,
        role: user.role,
        iat: now,
        exp: now + config.security.jwt_expiry_s,
        typ: 'access',
        sid: user.session,
      },
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

  /** What happened to a request, gathered by the hooks and written once the reply is sent. */
  const outcomes = new WeakMap<FastifyRequest, { denied?: string; error?: string }>();
  const outcome = (request: FastifyRequest) => {
    const known = outcomes.get(request);
    if (known) return known;
    const fresh: { denied?: string; error?: string } = {};
    outcomes.set(request, fresh);
    return fresh;
  };

  /** One entry per audited request, with its final status: refused, failed or done. */
  const audit = (request: FastifyRequest, reply: FastifyReply) => {
    const action = request.routeOptions.config?.audit;
    // A rate-limited request did nothing, and auditing each would let a flood fill the database.
    if (!action || reply.statusCode === 429) return;
    const { denied, error } = outcomes.get(request) ?? {};
    const status = reply.statusCode;
    const params = request.params as Record<string, string> | undefined;
    store.audit({
      time: new Date(clock.now()).toISOString(),
      actor: request.principal?.name ?? 'anonymous',
      role: request.principal?.role ?? 'none',
      action,
      target: params ? Object.values(params).join('.') || null : null,
      details: scrubForAudit({
        body: request.body ?? null,
        query: request.query ?? null,
        status,
        ...request.auditDetails,
      }),
      result: denied ? 'denied' : status < 400 ? 'ok' : 'error',
      error: denied ?? error ?? (status < 400 ? null : `HTTP ${status}`),
    });
  };

  {
    app.decorateRequest('principal', null as unknown as Principal);

    // Who is calling, and whether the matched route lets them in. A refusal is only recorded
    // here: the rate limiter (a route onRequest hook, after this global one) counts it first.
    app.addHook('onRequest', async (request) => {
      const isPublic = request.routeOptions.config?.public === true;
      const found = fromCredentials(request);
      if (found instanceof BenchtopError) {
        if (!isPublic) request.authFailure = found;
        return;
      }
      if (found) request.principal = found;
      else if (!required) request.principal = LOCAL;
      // No route matched: the not-found reply has nothing to protect.
      else if (!isPublic && !request.is404)
        request.authFailure = new BenchtopError('UNAUTHORIZED', NO_CREDENTIALS);
    });
    app.addHook('preParsing', async (request) => {
      if (request.authFailure) throw request.authFailure;
    });

    app.addHook('preHandler', async (request) => {
      const cfg = request.routeOptions.config ?? {};
      if (cfg.public) return;
      // Deny by default, again: nothing without a principal reaches a handler that is not public.
      if (!request.principal) {
        if (request.is404) return;
        throw new BenchtopError('UNAUTHORIZED', NO_CREDENTIALS);
      }
      const needed: Role =
        cfg.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'operator');
      if (!roleAtLeast(request.principal.role, needed)) {
        outcome(request).denied = `needs role ${needed}`;
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

    app.addHook('onError', async (request, _reply, error) => {
      outcome(request).error ??= error.message;
    });
    app.addHook('onResponse', async (request, reply) => audit(request, reply));

    /** Password check behind the per-account backoff: guesses slow down whatever address they come from. */
    const checkPasswordOf = async (username: string, password: string): Promise<ActiveUser> => {
      const wait = backoff.waitMs(username);
      if (wait > 0) {
        const retry = Math.ceil(wait / 1000);
        throw new BenchtopError(
          'RATE_LIMITED',
          `too many failed logins for "${username}": retry in ${retry} s`,
          { retry_after_s: retry },
        );
      }
      const checked = await store.checkPassword(username, password);
      const user = checked && store.activeUser(checked.name);
      if (!user) {
        backoff.failed(username);
        throw new BenchtopError('UNAUTHORIZED', 'wrong user name or password');
      }
      backoff.succeeded(username);
      return user;
    };

    const Credentials = Type.Object(
      { username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    );
    const RefreshBody = Type.Object({ refresh_token: Type.String() }, { additionalProperties: false });
    app.post(
      '/api/v1/auth/login',
      {
        config: { public: true, audit: 'auth.login', ...loginLimit },
        schema: {
          tags: ['system'],
          summary: 'Log in for a JWT',
          body: Credentials,
          response: { 200: Tokens, ...ErrorResponses },
        },
      },
      async (request) => {
        const { username, password } = request.body as { username: string; password: string };
        const user = await checkPasswordOf(username, password);
        request.principal = { kind: 'user', name: user.name, role: user.role, ref: user.session };
        return issueTokens(user);
      },
    );
    app.post(
      '/api/v1/auth/refresh',
      {
        config: { public: true, audit: 'auth.refresh', ...loginLimit },
        schema: {
          tags: ['system'],
          summary: 'Exchange a refresh token for new tokens',
          body: RefreshBody,
          response: { 200: Tokens, ...ErrorResponses },
        },
      },
      async (request) => {
        const user = store.consumeRefreshToken(
          (request.body as { refresh_token: string }).refresh_token,
          Math.floor(clock.now() / 1000),
        );
        if (!user)
          throw new BenchtopError('UNAUTHORIZED', 'refresh token unknown, used or expired: log in again');
        request.principal = { kind: 'user', name: user.name, role: user.role, ref: user.session };
        return issueTokens(user);
      },
    );
    app.post(
      '/api/v1/auth/logout',
      {
        config: { role: 'viewer', audit: 'auth.logout' },
        schema: {
          tags: ['system'],
          summary: 'Log out: the refresh token stops working',
          body: RefreshBody,
          response: { 200: Ok, ...ErrorResponses },
        },
      },
      async (request) => {
        store.revokeRefreshToken((request.body as { refresh_token: string }).refresh_token);
        return { ok: true };
      },
    );
    app.get(
      '/api/v1/auth/me',
      { schema: { tags: ['system'], summary: 'Who am I', response: { 200: WhoAmI, ...ErrorResponses } } },
      async (request): Promise<WhoAmI> => ({
        kind: request.principal.kind,
        name: request.principal.name,
        role: request.principal.role,
        auth: config.security.auth,
      }),
    );
    app.post(
      '/api/v1/auth/password',
      {
        config: { role: 'viewer', audit: 'user.password', ...loginLimit },
        schema: {
          tags: ['system'],
          summary: 'Change your own password; every session of yours ends, log in again',
          body: Type.Object(
            { current_password: Type.String({ minLength: 1 }), new_password: Type.String({ minLength: 8 }) },
            { additionalProperties: false },
          ),
          response: { 200: PasswordChanged, ...ErrorResponses },
        },
      },
      async (request) => {
        const { current_password, new_password } = request.body as {
          current_password: string;
          new_password: string;
        };
        if (request.principal.kind !== 'user')
          throw new BenchtopError('VALIDATION_FAILED', 'only a logged-in user has a password to change');
        const user = await checkPasswordOf(request.principal.name, current_password);
        await store.setPassword(user.name, new_password);
        return { ok: true, sessions_ended: true };
      },
    );
    app.get(
      '/api/v1/keys',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['system'],
          summary: 'API keys (never the keys themselves)',
          response: { 200: Type.Array(ApiKeyInfo), ...ErrorResponses },
        },
      },
      async () => store.listKeys(),
    );
    app.post(
      '/api/v1/keys',
      {
        config: { role: 'admin', audit: 'key.create' },
        schema: {
          tags: ['system'],
          summary: 'Create an API key; the key is shown only in this reply',
          response: { 200: NewApiKey, ...ErrorResponses },
          body: Type.Object(
            {
              name: Type.String({ minLength: 1 }),
              role: Type.Union(Roles.map((r) => Type.Literal(r))),
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
      {
        config: { role: 'admin', audit: 'key.revoke' },
        schema: {
          tags: ['system'],
          summary: 'Revoke an API key',
          params: Type.Object({ id: Type.String() }),
          response: { 200: Ok, ...ErrorResponses },
        },
      },
      async (request) => {
        if (!store.revokeKey((request.params as { id: string }).id))
          throw new BenchtopError('NOT_FOUND', 'no such active key');
        return { ok: true };
      },
    );
    app.get(
      '/api/v1/users',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['system'],
          summary: 'Users',
          response: { 200: Type.Array(UserInfo), ...ErrorResponses },
        },
      },
      async () => store.listUsers(),
    );
    app.post(
      '/api/v1/users',
      {
        config: { role: 'admin', audit: 'user.create' },
        schema: {
          tags: ['system'],
          summary: 'Add a user',
          response: { 200: Ok, ...ErrorResponses },
          body: Type.Object(
            {
              name: Type.String({ minLength: 1 }),
              role: Type.Union(Roles.map((r) => Type.Literal(r))),
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
      {
        config: { role: 'admin', audit: 'user.remove' },
        schema: {
          tags: ['system'],
          summary: 'Remove a user',
          params: Type.Object({ name: Type.String() }),
          response: { 200: Ok, ...ErrorResponses },
        },
      },
      async (request) => {
        if (!store.removeUser((request.params as { name: string }).name))
          throw new BenchtopError('NOT_FOUND', 'no such user');
        return { ok: true };
      },
    );
    app.put(
      '/api/v1/users/:name/password',
      {
        config: { role: 'admin', audit: 'user.password_reset' },
        schema: {
          tags: ['system'],
          summary: "Reset a user's password; every session of theirs ends",
          params: Type.Object({ name: Type.String() }),
          response: { 200: PasswordChanged, ...ErrorResponses },
          body: Type.Object({ password: Type.String({ minLength: 8 }) }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { name } = request.params as { name: string };
        if (!(await store.setPassword(name, (request.body as { password: string }).password)))
          throw new BenchtopError('NOT_FOUND', 'no such user');
        return { ok: true, sessions_ended: true };
      },
    );
    app.get(
      '/api/v1/audit',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['system'],
          summary: 'Audit log of control actions, newest first',
          response: { 200: Type.Array(AuditEntry), ...ErrorResponses },
          querystring: Type.Object(
            {
              limit: Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX, default: 100 }),
              offset: Type.Integer({ minimum: 0, maximum: 2 ** 31, default: 0 }),
              since: Type.Optional(Type.String({ description: 'ISO time' })),
              actor: Type.Optional(Type.String()),
              action: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const q = request.query as {
          limit: number;
          offset: number;
          since?: string;
          actor?: string;
          action?: string;
        };
        return store.auditLog(q);
      },
    );
  }
  return { recheck };
}
