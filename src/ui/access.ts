/**
 * Who may talk to `strata ui`: whoever holds its token (random, printed in the URL as
 * Jupyter prints its own), sent as a cookie the first visit sets, or in a header; and only
 * through a Host that is an IP literal or `localhost` on the server's port, so that a web
 * page on a DNS name rebound to 127.0.0.1 cannot read the store through the visitor's browser.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export function newToken(): string {
  return randomBytes(24).toString('hex');
}

export function cookieName(port: number): string {
  return `strata-ui-token-${port}`;
}

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The token a request carries in its headers: `Authorization: token T`, `X-Strata-Token: T` or the cookie. */
export function headerToken(req: IncomingMessage, port: number): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined && /^token\s+/i.test(auth)) return auth.replace(/^token\s+/i, '').trim();
  const header = req.headers['x-strata-token'];
  if (typeof header === 'string') return header;
  return cookieValue(req.headers.cookie, cookieName(port));
}

/** Whether `host` (the Host header) names this server by an IP literal or `localhost`, on `port`. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(host);
  if (m === null) return false;
  const name = (m[1] as string).replace(/^\[|\]$/g, '');
  const hostPort = m[2] === undefined ? 80 : Number(m[2]);
  if (hostPort !== port) return false;
  return name.toLowerCase() === 'localhost' || isIP(name) !== 0;
}
