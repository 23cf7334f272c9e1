/**
 * HTTP for the registry client, over node:http and node:https: one keep-alive pool per
 * origin with that host's TLS trust, redirects followed by hand (so the registry's
 * credentials never travel to blob storage on another origin), and retries with
 * exponential backoff for broken connections and 5xx answers of requests that can be
 * sent again.
 *
 * Why not undici (which LIBRARIES.md suggests): measured here, importing it costs ~140 ms
 * at every registry command (node:http is in Node's snapshot: ~13 ms), and a 1 GiB blob
 * downloads and uploads at the registry's pace with either.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { StrataError, unavailable } from '../errdefs/index.ts';
import { tlsMaterial } from './tls-material.ts';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The wait before the second try; it doubles after each failure. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Five tries over about 15 s (docker: five over 50 s). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 8000 };

export interface RetryNotice {
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A body, or a function that makes a fresh one for each try. */
  body?: Buffer | string | (() => Readable | Buffer);
  signal?: AbortSignal;
  /** Follow 3xx answers (GET and HEAD); Authorization is dropped when the origin changes. */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: IncomingMessage;
  /** The URL that answered, after redirects. */
  url: string;
  /** True when a redirect took the request to another origin (credentials were not sent). */
  crossOrigin: boolean;
}

/** Codes of failures that are worth another try: the connection broke or timed out. */
const TRANSIENT = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  // A response body cut short: the socket closed before Content-Length bytes came.
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for a network failure another try may get past (not for TLS or DNS errors). */
export function isTransientNetworkError(err: unknown): boolean {
  if (err instanceof TransportError) return err.transient;
  const code = errorCode(err);
  return code !== undefined && TRANSIENT.has(code);
}

function isTlsError(err: unknown): boolean {
  const code = errorCode(err) ?? '';
  return /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code) || /SSL|TLS|certificate/i.test((err as Error)?.message ?? '');
}

/** A request that got no HTTP answer; the message names it the way Go's net/http does. */
export class TransportError extends StrataError {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly tls: boolean,
    cause: unknown,
    hint?: string,
  ) {
    super('unavailable', message, { cause, ...(hint ? { hint } : {}) });
    this.name = 'TransportError';
  }
}

/** A failed connection in Go's words (`dial tcp 127.0.0.1:5000: connect: connection refused`), as docker prints it. */
function describeNetworkError(err: unknown, url: URL): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (code === 'ECONNREFUSED') return `dial tcp ${url.hostname}:${port}: connect: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `dial tcp: lookup ${url.hostname}: no such host`;
  if (code === 'ETIMEDOUT') return `dial tcp ${url.hostname}:${port}: i/o timeout`;
  if (code === 'ECONNRESET') return `read tcp ${url.hostname}:${port}: connection reset by peer (${message})`;
  return message;
}

/** True when nothing listens at the address (no point waiting at a first contact). */
export function isConnectionRefused(err: unknown): boolean {
  return errorCode(err instanceof TransportError ? err.cause : err) === 'ECONNREFUSED';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new StrataError('canceled', 'operation canceled'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new StrataError('canceled', 'operation canceled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function backoffDelay(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
}

export interface TransportOptions {
  certsDirs: readonly string[];
  /** Origins (`https://host:port`) whose certificates are not verified (insecure registries). */
  insecureOrigins?: Set<string>;
  userAgent: string;
}

type Agent = HttpAgent | HttpsAgent;

/** One request over `agent`; resolves with the response as soon as its headers arrive. */
function exchange(url: URL, method: string, headers: OutgoingHttpHeaders, body: Readable | Buffer | string | undefined, agent: Agent, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, agent, ...(signal ? { signal } : {}), timeout: SOCKET_TIMEOUT_MS });
    req.on('timeout', () => req.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.on('response', (res) => {
      // Errors reach readers through iteration; this keeps a late one from being unhandled.
      res.on('error', () => undefined);
      resolve(res);
    });
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

/** A socket silent for this long is broken (a stalled registry), and the request fails over to a retry. */
const SOCKET_TIMEOUT_MS = 120_000;

export class HttpTransport {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly options: TransportOptions) {}

  private agentFor(origin: string): Agent {
    let agent = this.agents.get(origin);
    if (agent === undefined) {
      const url = new URL(origin);
      if (url.protocol === 'https:') {
        const blind = this.options.insecureOrigins?.has(origin) === true;
        // Building a context with a few hundred CAs costs ~60 ms: skip it when nothing is verified.
        const material = tlsMaterial(url.host, this.options.certsDirs, { withSystemCas: !blind });
        agent = new HttpsAgent({
          keepAlive: true, maxSockets: 16,
          ...(blind ? { rejectUnauthorized: false } : { ca: material.ca }),
          ...(material.cert !== undefined ? { cert: material.cert, key: material.key } : {}),
        });
      } else {
        agent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
      }
      this.agents.set(origin, agent);
    }
    return agent;
  }

  /** Marks an origin as one whose certificate is not checked (an insecure registry over HTTPS). */
  trustBlindly(origin: string): void {
    this.options.insecureOrigins ??= new Set();
    if (this.options.insecureOrigins.has(origin)) return;
    this.options.insecureOrigins.add(origin);
    const agent = this.agents.get(origin);
    if (agent !== undefined) {
      this.agents.delete(origin);
      agent.destroy();
    }
  }

  /**
   * Sends one request (following redirects when asked). Gives any HTTP answer back;
   * throws TransportError only when there was no answer.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    const firstOrigin = new URL(url).origin;
    let crossOrigin = false;
    let headers: Record<string, string> = { 'user-agent': this.options.userAgent, ...req.headers };
    for (let hop = 0; ; hop++) {
      const target = new URL(url);
      let response: IncomingMessage;
      const body = typeof req.body === 'function' ? req.body() : req.body;
      try {
        response = await exchange(target, req.method, headers, body, this.agentFor(target.origin), req.signal);
      } catch (err) {
        if (req.signal?.aborted) throw new StrataError('canceled', 'operation canceled', { cause: err });
        const method = req.method.charAt(0) + req.method.slice(1).toLowerCase();
        const tls = isTlsError(err);
        const host = target.host;
        const hint = tls ? `put the CA of ${host} in /etc/docker/certs.d/${host}/ca.crt (or /etc/strata/certs.d/${host}/), or list ${host} in "insecure-registries" of /etc/strata/daemon.json` : undefined;
        throw new TransportError(`${method} "${url}": ${describeNetworkError(err, target)}`, isTransientNetworkError(err), tls, err, hint);
      }
      const status = response.statusCode ?? 0;
      const location = response.headers['location'];
      if (req.followRedirects && status >= 300 && status < 400 && status !== 304 && typeof location === 'string') {
        await discard(response);
        if (hop >= 10) throw unavailable(`${req.method} "${req.url}": stopped after 10 redirects`);
        url = new URL(location, url).toString();
        if (new URL(url).origin !== firstOrigin) {
          // Blob storage (S3, a CDN) gets a signed URL, never the registry's credentials.
          crossOrigin = true;
          const { authorization: _drop, ...rest } = headers;
          headers = rest;
        }
        continue;
      }
      return { status, headers: response.headers, body: response, url, crossOrigin };
    }
  }

  async close(): Promise<void> {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** Reads and drops the rest of a response, so its connection can be reused. Never throws. */
export async function discard(body: Readable): Promise<void> {
  body.resume();
  await finished(body).catch(() => undefined);
}

/** Reads a whole (small) response body, refusing more than `limit` bytes. */
export async function readBody(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new StrataError('invalid-argument', `${what} is over the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
