/**
 * Bearer-token auth of the embedded server. Both sides are hashed before the
 * comparison so `timingSafeEqual` compares equal lengths and the time taken says
 * nothing about how much of a guess was right. The token is never logged: a refusal
 * says only that the header was missing or wrong.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiAuth } from './deps.ts';

/** A fresh token: 32 random bytes, URL-safe (it travels in a URL fragment). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? '');
  return m?.[1];
}

/** Refuses requests without the right token with 401; on AWS the JWT authorizer has checked them. */
export function requireAuth(auth: ApiAuth): MiddlewareHandler {
  return async (c, next) => {
    if (auth.kind === 'upstream') return next();
    const token = bearerToken(c.req.header('authorization'));
    if (token === undefined || !tokenMatches(token, auth.token)) {
      c.header('WWW-Authenticate', 'Bearer realm="dubegrid"');
      return c.json({ error: token === undefined ? 'missing Authorization: Bearer <token>' : 'wrong token' }, 401);
    }
    return next();
  };
}
