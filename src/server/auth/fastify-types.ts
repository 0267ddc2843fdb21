import type { Principal, Role } from './roles.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role allowed; default viewer for GET/HEAD, operator otherwise. */
    role?: Role;
    /** Reachable without credentials (health, login). */
    public?: boolean;
    /** Audit-log action name for control routes, e.g. `signal.set`. */
    audit?: string;
    /** The WebSocket: browsers cannot set its headers, so `?token=`/`?api_key=` are read too. */
    credentialsInQuery?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
    /** Why this request is refused, decided in onRequest and enforced after the rate limiter counted it. */
    authFailure?: Error;
    /** Extra audit details a handler adds, e.g. a signal's value before and after a write. */
    auditDetails?: Record<string, unknown>;
  }
}
