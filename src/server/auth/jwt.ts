import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JSON Web Tokens (RFC 7519) with node:crypto: the only algorithm accepted is the
 * one we issue, so "alg: none" and key-confusion attacks have nothing to work with.
 */
export interface TokenClaims {
  sub: string;
  role: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
  typ: 'access';
  /** The user's session stamp when issued: a password change or re-creation makes the token stale. */
  sid?: string;
}

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');
const HEADER = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function signToken(claims: TokenClaims, secret: string): string {
  const body = `${HEADER}.${b64(JSON.stringify(claims))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** The claims, or a reason the token is not acceptable. */
export function verifyToken(token: string, secret: string, nowS: number): TokenClaims | { invalid: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return { invalid: 'malformed token' };
  const [header, payload, signature] = parts as [string, string, string];
  if (header !== HEADER) return { invalid: 'unsupported token header' };
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { invalid: 'bad signature' };
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return { invalid: 'malformed claims' };
  }
  if (claims.typ !== 'access') return { invalid: 'not an access token' };
  if (typeof claims.exp !== 'number' || claims.exp <= nowS) return { invalid: 'token expired' };
  return claims;
}
