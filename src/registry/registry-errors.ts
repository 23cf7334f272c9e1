/**
 * Registry error responses turned into StrataErrors with docker's words. A registry answers
 * `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":…}]}`; docker
 * prints such an error as `manifest unknown: manifest unknown` (the code in lower case with
 * spaces, then the message). A body that is not that JSON (a proxy's HTML page) is reported
 * as docker does: `error parsing HTTP 502 response body: …: "<html>…"`.
 */
import { StrataError, type ErrorCode } from '../errdefs/index.ts';
import { parseChallenges } from './auth-challenge.ts';

export interface RegistryErrorItem {
  code: string;
  message: string;
  detail?: unknown;
}

/** A registry's answer that is an error, kept with its status and parsed body. */
export interface ErrorResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  method: string;
  url: string;
}

export function parseErrorItems(body: Buffer): RegistryErrorItem[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const obj = doc as Record<string, unknown>;
  const list = obj['errors'];
  if (Array.isArray(list)) {
    const items: RegistryErrorItem[] = [];
    for (const e of list) {
      if (typeof e !== 'object' || e === null) continue;
      const item = e as Record<string, unknown>;
      items.push({
        code: typeof item['code'] === 'string' ? item['code'] : 'UNKNOWN',
        message: typeof item['message'] === 'string' ? item['message'] : '',
        ...(item['detail'] !== undefined ? { detail: item['detail'] } : {}),
      });
    }
    return items;
  }
  // Token servers answer {"details": "..."} (Docker Hub) or {"error": "..."} (OAuth2).
  const details = obj['details'] ?? obj['error_description'] ?? obj['error'] ?? obj['message'];
  if (typeof details === 'string') return [{ code: 'UNAUTHORIZED', message: details }];
  return [];
}

/** `MANIFEST_UNKNOWN` + `manifest unknown` → `manifest unknown: manifest unknown`. */
export function formatErrorItem(item: RegistryErrorItem): string {
  const code = item.code.toLowerCase().replace(/_/g, ' ');
  return item.message === '' ? code : `${code}: ${item.message}`;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 413: 'Request Entity Too Large', 416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown';
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'permission-denied';
  if (status === 404) return 'not-found';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'invalid-argument';
}

function header(headers: ErrorResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Docker Hub's rate-limit headers, for a 429's message: `(ratelimit-limit: 100;w=21600, …)`. */
export function rateLimitNote(headers: ErrorResponse['headers']): string {
  const parts: string[] = [];
  for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'docker-ratelimit-source']) {
    const v = header(headers, name);
    if (v !== undefined) parts.push(`${name}: ${v}`);
  }
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** A short, printable excerpt of a body that is not what a registry should send. */
export function bodyExcerpt(body: Buffer): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  return JSON.stringify(text.length > 160 ? `${text.slice(0, 157)}...` : text);
}

/** The error items of a response, or the docker-style description of an unparsable one. */
export function describeErrorResponse(res: ErrorResponse): { items: RegistryErrorItem[]; text: string } {
  const items = parseErrorItems(res.body);
  const status = `${res.status} ${res.statusText || statusText(res.status)}`;
  if (res.status >= 500) {
    // docker reports any 5xx by its status line; the body excerpt says who answered.
    const detail = items !== undefined && items.length > 0 ? `: ${items.map(formatErrorItem).join('; ')}` : res.body.length > 0 && items === undefined ? `: ${bodyExcerpt(res.body)}` : '';
    return { items: items ?? [], text: `received unexpected HTTP status: ${status}${detail}` };
  }
  const fromChallenge = challengeError(res.headers['www-authenticate']);
  if (fromChallenge !== undefined) {
    // docker puts the OAuth error of the challenge first and reports that one.
    return { items: [fromChallenge, ...(items ?? [])], text: formatErrorItem(fromChallenge) };
  }
  if (items !== undefined && items.length > 0) {
    let text = items.map(formatErrorItem).join('; ');
    if (res.status === 429) text += rateLimitNote(res.headers);
    return { items, text };
  }
  if (res.status === 401) return { items: [{ code: 'UNAUTHORIZED', message: 'authentication required' }], text: 'unauthorized: authentication required' };
  if (res.status === 429) {
    return { items: [{ code: 'TOOMANYREQUESTS', message: '' }], text: `toomanyrequests: too many requests${rateLimitNote(res.headers)}` };
  }
  if (res.body.length === 0 || items !== undefined) return { items: [], text: `received unexpected HTTP status: ${status}` };
  return { items: [], text: `error parsing HTTP ${res.status} response body: ${notJsonReason(res.body)}: ${bodyExcerpt(res.body)}` };
}

/**
 * The error a Bearer challenge carries (RFC 6750): `insufficient_scope` is docker's DENIED
 * (`requested access to the resource is denied`), `invalid_token` its UNAUTHORIZED.
 */
function challengeError(header: string | string[] | undefined): RegistryErrorItem | undefined {
  const bearer = parseChallenges(header).find((c) => c.scheme === 'bearer');
  const error = bearer?.params['error'];
  if (error === 'insufficient_scope') return { code: 'DENIED', message: bearer?.params['error_description'] || 'requested access to the resource is denied' };
  if (error === 'invalid_token') return { code: 'UNAUTHORIZED', message: bearer?.params['error_description'] || 'authentication required' };
  return undefined;
}

/** Why bytes are not a JSON document, in encoding/json's words for the common case of HTML. */
export function notJsonReason(body: Buffer): string {
  const first = body.toString('utf8', 0, 64).trimStart()[0];
  return first === undefined ? 'unexpected end of JSON input' : `invalid character '${first}' looking for beginning of value`;
}

/**
 * A StrataError for an error response, prefixed as Go's net/http prints failed requests
 * (`Get "https://host/v2/…": …`) unless `what` names the operation better.
 */
export function responseError(res: ErrorResponse, what?: string): RegistryResponseError {
  const { items, text } = describeErrorResponse(res);
  const method = res.method.charAt(0) + res.method.slice(1).toLowerCase();
  const message = what === undefined ? `${method} "${res.url}": ${text}` : `${what}: ${text}`;
  return new RegistryResponseError(codeForStatus(res.status), message, res.status, items, text);
}

/** An error response from a registry, with its status and error codes for callers to branch on. */
export class RegistryResponseError extends StrataError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly status: number,
    readonly items: RegistryErrorItem[],
    /** The registry's own words, without the request prefix. */
    readonly detail: string,
  ) {
    super(code, message, status === 429 ? { hint: 'wait for the rate limit window to pass, or log in to raise the limit' } : {});
    this.name = 'RegistryResponseError';
  }

  has(code: string): boolean {
    return this.items.some((i) => i.code === code);
  }
}
