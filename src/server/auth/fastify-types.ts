import type { Principal, Role } from './roles.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role allowed; default viewer for GET/HEAD, operator otherwise. */
    role?: Role;
    /** Reachable without credentials (health, login). */
    public?: boolean;
    /** Audit-log action name for control routes, e.g. `signal.set`. */
    audit?: string;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}
