/**
 * The OCI distribution client for one registry host: the `/v2/` ping (which also finds
 * whether an insecure registry speaks HTTPS or plain HTTP), and authenticated requests.
 *
 * Authentication follows the challenge the registry sends:
 *   - `Basic`: the stored credentials on every request;
 *   - `Bearer` (Docker Hub's flow): a token from the challenge's realm for the scopes a
 *     request needs (`repository:library/nginx:pull`), anonymous or with the credentials,
 *     cached per scope set until it expires, fetched again when a request needs another
 *     scope (a push, a cross-repository mount) or the registry rejects it.
 */
import type { Readable } from 'node:stream';
import { StrataError } from '../errdefs/index.ts';
import { parseChallenges, type Challenge } from './auth-challenge.ts';
import type { Credentials } from './docker-config.ts';
import {
  backoffDelay, DEFAULT_RETRY, discard, HttpTransport, isConnectionRefused, readBody, sleep, TransportError, type HttpResponse, type RetryNotice, type RetryPolicy,
} from './http-transport.ts';
import { parseErrorItems, responseError, statusText, type ErrorResponse, RegistryResponseError, formatErrorItem } from './registry-errors.ts';
import { authConfigKey, isInsecureRegistry, registryHost, type RegistrySettings } from './registry-hosts.ts';

/** Looks up credentials by docker's config key (`https://index.docker.io/v1/`, `host:port`). */
export type CredentialSource = (serverKey: string) => Promise<Credentials | undefined>;

export interface RegistryOptions {
  settings: RegistrySettings;
  credentials?: CredentialSource;
  retry?: RetryPolicy;
  userAgent?: string;
  /** Told about every retry, e.g. to print `Retrying in 2 seconds`. */
  onRetry?: (notice: RetryNotice & { what: string }) => void;
}

export interface ApiRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** `/v2/…` on the registry, or an absolute URL (an upload location). */
  path: string;
  headers?: Record<string, string>;
  /** A Buffer, or a function making a fresh stream for each try. */
  body?: Buffer | string | (() => Readable | Buffer);
  /** Token scopes the request needs. */
  scopes: string[];
  /** Send again after a broken connection or a 5xx (default: when the body can be sent again). */
  retry?: boolean;
  followRedirects?: boolean;
  signal?: AbortSignal;
  /** What to call the request in retry notices. */
  what?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const RETRY_STATUSES = new Set([500, 502, 503, 504]);

/** The clients of one command: one per registry host, sharing connection pools. */
export class Registries {
  private readonly clients = new Map<string, RegistryClient>();
  readonly transport: HttpTransport;

  constructor(readonly options: RegistryOptions) {
    this.transport = new HttpTransport({ certsDirs: options.settings.certsDirs, userAgent: options.userAgent ?? 'strata/0.1.0' });
  }

  /** The client for the registry a reference's domain names (`docker.io` → registry-1.docker.io). */
  client(domain: string): RegistryClient {
    let client = this.clients.get(domain);
    if (client === undefined) {
      client = new RegistryClient(domain, this.transport, this.options);
      this.clients.set(domain, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

export class RegistryClient {
  readonly host: string;
  readonly insecure: boolean;
  private base: string | undefined;
  private challenge: Challenge | undefined;
  private credentials: Credentials | null | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<CachedToken>>();
  private pinging: Promise<void> | undefined;
  /** How many tokens this client fetched (tests and benchmarks read it). */
  tokenFetches = 0;

  constructor(
    readonly domain: string,
    private readonly transport: HttpTransport,
    private readonly options: RegistryOptions,
  ) {
    this.host = registryHost(domain);
    this.insecure = isInsecureRegistry(this.host, options.settings);
  }

  get retryPolicy(): RetryPolicy {
    return this.options.retry ?? DEFAULT_RETRY;
  }

  /** The base URL after the ping: `https://host` or, for an insecure registry, maybe `http://host`. */
  async baseUrl(signal?: AbortSignal): Promise<string> {
    await this.ping(signal);
    return this.base as string;
  }

  /**
   * Pings `/v2/` once per client: learns the scheme and the auth challenge.
   * @throws unavailable when the registry cannot be reached (after retries)
   */
  ping(signal?: AbortSignal): Promise<void> {
    if (this.base !== undefined) return Promise.resolve();
    this.pinging ??= this.doPing(signal).finally(() => {
      this.pinging = undefined;
    });
    return this.pinging;
  }

  private async doPing(signal?: AbortSignal): Promise<void> {
    // An insecure registry is asked over HTTPS and plain HTTP at once (docker asks one after
    // the other); HTTPS wins when both answer.
    const schemes = this.insecure ? ['https', 'http'] : ['https'];
    const policy = this.retryPolicy;
    for (let failures = 0; ; failures++) {
      const answers = await Promise.all(schemes.map((scheme) => this.probe(scheme, signal)));
      const answered = answers.find((a) => a.response !== undefined);
      if (answered?.response !== undefined) {
        for (const other of answers) if (other !== answered && other.response) await discard(other.response.body);
        const res = answered.response;
        const body = await readBody(res.body, 64 * 1024, `${answered.origin}/v2/ response`).catch(() => Buffer.alloc(0));
        if (!RETRY_STATUSES.has(res.status)) {
          const challenges = parseChallenges(res.headers['www-authenticate']);
          if (res.status === 401) this.challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
          this.base = answered.origin;
          return;
        }
        const error = responseError({ status: res.status, statusText: statusText(res.status), headers: res.headers, body, method: 'GET', url: `${answered.origin}/v2/` });
        if (failures + 1 >= policy.attempts) throw error;
        await this.wait(policy, failures, error, `${this.host}/v2/`, signal);
        continue;
      }
      // No answer: the last scheme's error says most (plain HTTP for an insecure registry).
      const error = answers.at(-1)?.error ?? new StrataError('unavailable', `cannot reach ${this.host}`);
      // Nothing listening at the first contact: fail now, as docker does.
      const transient = answers.some((a) => a.error?.transient === true && !isConnectionRefused(a.error));
      if (!transient || failures + 1 >= policy.attempts) throw error;
      await this.wait(policy, failures, error, `${this.host}/v2/`, signal);
    }
  }

  private async probe(scheme: string, signal?: AbortSignal): Promise<{ origin: string; response?: HttpResponse; error?: TransportError }> {
    const origin = `${scheme}://${this.host}`;
    if (scheme === 'https' && this.insecure) this.transport.trustBlindly(origin);
    try {
      return { origin, response: await this.transport.send({ method: 'GET', url: `${origin}/v2/`, ...(signal ? { signal } : {}) }) };
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      return { origin, error: err };
    }
  }

  private async loadCredentials(): Promise<Credentials | undefined> {
    if (this.credentials === undefined) {
      this.credentials = (await this.options.credentials?.(authConfigKey(this.domain))) ?? null;
    }
    return this.credentials ?? undefined;
  }

  /** Uses these credentials instead of the stored ones (login checks new ones this way). */
  useCredentials(creds: Credentials | undefined): void {
    this.credentials = creds ?? null;
    this.tokens.clear();
  }

  /** The Authorization header for a request needing `scopes`, or undefined when none is needed. */
  private async authorization(scopes: string[], refresh: boolean, signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    const creds = await this.loadCredentials();
    if (challenge.scheme === 'basic') {
      if (!creds || creds.username === '') return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    const key = [...new Set(scopes)].sort().join(' ');
    const cached = this.tokens.get(key);
    if (!refresh && cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    // Parallel transfers needing the same scopes share one token request.
    let pending = this.pendingTokens.get(key);
    if (pending === undefined || refresh) {
      pending = this.fetchToken(challenge, [...new Set(scopes)].sort(), creds, signal).finally(() => {
        if (this.pendingTokens.get(key) === pending) this.pendingTokens.delete(key);
      });
      this.pendingTokens.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  private async fetchToken(challenge: Challenge, scopes: string[], creds: Credentials | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const realm = challenge.params['realm'];
    if (!realm) throw new StrataError('unavailable', `${this.host}: the registry's Bearer challenge names no realm`);
    const service = challenge.params['service'];
    const url = new URL(realm);
    let method = 'GET';
    let body: string | undefined;
    const headers: Record<string, string> = {};
    if (creds?.identityToken) {
      // An OAuth2 refresh token (docker's identitytoken) is exchanged by POST.
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'strata' });
      if (service) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      body = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (creds && creds.username !== '') {
        url.searchParams.set('account', creds.username);
        headers['authorization'] = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
    }
    const policy = this.retryPolicy;
    for (let failures = 0; ; failures++) {
      let res: HttpResponse;
      try {
        res = await this.transport.send({ method, url: url.toString(), headers, ...(body !== undefined ? { body } : {}), followRedirects: true, ...(signal ? { signal } : {}) });
      } catch (err) {
        if (err instanceof TransportError && err.transient && failures + 1 < policy.attempts) {
          await this.wait(policy, failures, err, 'token', signal);
          continue;
        }
        throw err;
      }
      const data = await readBody(res.body, 1024 * 1024, `token response from ${url.origin}`);
      if (RETRY_STATUSES.has(res.status) && failures + 1 < policy.attempts) {
        await this.wait(policy, failures, new Error(`HTTP ${res.status}`), 'token', signal);
        continue;
      }
      if (res.status !== 200) {
        const items = parseErrorItems(data);
        const text = items && items.length > 0 ? items.map(formatErrorItem).join('; ') : undefined;
        if (res.status === 401 || res.status === 403) {
          throw new RegistryResponseError('permission-denied', `Get "${this.base ?? `https://${this.host}`}/v2/": ${text ?? 'unauthorized: incorrect username or password'}`, res.status, items ?? [], text ?? '');
        }
        throw responseError({ status: res.status, statusText: statusText(res.status), headers: res.headers, body: data, method, url: url.toString() });
      }
      let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
      try {
        doc = JSON.parse(data.toString('utf8')) as typeof doc;
      } catch {
        throw new StrataError('unavailable', `token server ${url.origin} answered with something that is not JSON`);
      }
      const token = typeof doc.token === 'string' && doc.token !== '' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
      if (token === '') throw new StrataError('unavailable', `token server ${url.origin} answered without a token`);
      const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
      const issued = typeof doc.issued_at === 'string' && !Number.isNaN(Date.parse(doc.issued_at)) ? Math.min(Date.parse(doc.issued_at), Date.now()) : Date.now();
      this.tokenFetches++;
      // Refresh a little early so a token never expires in flight.
      return { token, expiresAt: issued + lifetime * 900 };
    }
  }

  private async wait(policy: RetryPolicy, failures: number, error: Error, what: string, signal?: AbortSignal): Promise<void> {
    const delayMs = backoffDelay(policy, failures + 1);
    this.options.onRetry?.({ attempt: failures + 1, delayMs, error, what });
    await sleep(delayMs, signal);
  }

  private resolve(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.base as string}${path}`;
  }

  /**
   * Sends an authenticated request. Gives back any answer except a 401 that a fresh token
   * cannot cure; retries broken connections and 5xx answers when the body can be sent again.
   * @throws permission-denied for a lasting 401, unavailable when the registry is unreachable
   */
  async send(req: ApiRequest): Promise<HttpResponse> {
    await this.ping(req.signal);
    let scopes = req.scopes;
    let refresh = false;
    let authRetried = false;
    const canResend = req.body === undefined || typeof req.body !== 'function' || req.retry === true;
    const retry = req.retry ?? (req.body === undefined || typeof req.body === 'function' || Buffer.isBuffer(req.body) || typeof req.body === 'string');
    const policy = this.retryPolicy;
    for (let failures = 0; ; ) {
      const authorization = await this.authorization(scopes, refresh, req.signal);
      refresh = false;
      const url = this.resolve(req.path);
      let res: HttpResponse;
      try {
        res = await this.transport.send({
          method: req.method,
          url,
          headers: { ...req.headers, ...(authorization ? { authorization } : {}) },
          ...(req.body !== undefined ? { body: req.body } : {}),
          ...(req.followRedirects !== undefined ? { followRedirects: req.followRedirects } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } catch (err) {
        if (retry && err instanceof TransportError && err.transient && failures + 1 < policy.attempts) {
          await this.wait(policy, failures++, err, req.what ?? url, req.signal);
          continue;
        }
        throw err;
      }
      if (res.status === 401 && !authRetried && canResend) {
        const challenges = parseChallenges(res.headers['www-authenticate']);
        const bearer = challenges.find((c) => c.scheme === 'bearer');
        const basic = challenges.find((c) => c.scheme === 'basic');
        if (bearer || basic) {
          authRetried = true;
          await discard(res.body);
          this.challenge = bearer ?? basic;
          const wanted = bearer?.params['scope'];
          if (wanted) scopes = [...new Set([...scopes, ...wanted.split(' ').filter((s) => s !== '')])];
          refresh = true;
          continue;
        }
      }
      if (res.status === 401 && this.challenge?.scheme === 'basic' && !(await this.loadCredentials())) {
        await discard(res.body);
        const method = req.method.charAt(0) + req.method.slice(1).toLowerCase();
        throw new RegistryResponseError('permission-denied', `${method} "${url}": no basic auth credentials`, 401, [{ code: 'UNAUTHORIZED', message: 'no basic auth credentials' }], 'no basic auth credentials');
      }
      if (retry && RETRY_STATUSES.has(res.status) && failures + 1 < policy.attempts) {
        await discard(res.body);
        await this.wait(policy, failures++, new Error(`HTTP ${res.status} ${statusText(res.status)}`), req.what ?? url, req.signal);
        continue;
      }
      return res;
    }
  }

  /**
   * Checks the credentials in use against the registry, as `docker login` does: `/v2/`
   * with Basic credentials, or a token from the Bearer realm (no scope) and then `/v2/`.
   * A registry that asks for no authentication accepts any credentials.
   * @throws permission-denied `login attempt to …/v2/ failed with status: 401 Unauthorized`
   *   or the token server's words (`unauthorized: incorrect username or password`)
   */
  async checkLogin(signal?: AbortSignal): Promise<void> {
    await this.ping(signal);
    if (this.challenge === undefined) return;
    const url = `${this.base as string}/v2/`;
    const authorization = await this.authorization([], true, signal);
    const res = await this.transport.send({ method: 'GET', url, headers: authorization ? { authorization } : {}, ...(signal ? { signal } : {}) });
    await discard(res.body);
    if (res.status !== 200) {
      throw new RegistryResponseError('permission-denied', `login attempt to ${url} failed with status: ${res.status} ${statusText(res.status)}`, res.status, [], '');
    }
  }

  /** Reads an error answer's body (HEAD answers have none) and makes the StrataError for it. */
  async failure(res: HttpResponse, method: string, what?: string): Promise<RegistryResponseError> {
    const body = method === 'HEAD' ? Buffer.alloc(0) : await readBody(res.body, 64 * 1024, 'error response').catch(() => Buffer.alloc(0));
    const response: ErrorResponse = { status: res.status, statusText: statusText(res.status), headers: res.headers, body, method, url: res.url };
    return responseError(response, what);
  }
}
