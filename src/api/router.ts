/**
 * The Engine API's router: docker's paths, versions and error bodies over node:http.
 *
 * The contract a route file (routes/*.ts) relies on:
 *
 * - A route is `{ method, path, handler }`; `path` is dockerd's, without the `/v1.NN` prefix
 *   (both `/v1.50/images/json` and `/images/json` reach it). `{name}` matches one path
 *   segment; `{name*}` matches the rest, slashes included (image names: `/images/{name*}/json`).
 *   Routes are tried in the order of `ROUTES` (routes/index.ts), first match wins.
 * - `handler(req, res, api)`: `req.params` holds the decoded path parameters, `req.query`
 *   the query string (`queryBool`, `queryJson` read docker's forms of them), `req.version`
 *   the API version the client asked for (or the highest), `req.signal` aborts when the
 *   client goes away (stop the work, remove what it wrote). `await req.json()` reads a JSON
 *   body (bounded, 400 naming what is wrong); `req.raw` is the IncomingMessage to stream a
 *   body (a tar) from without buffering it. `api` holds the engine, opened once, and the event log.
 * - Answers: `res.json(status, value)`, `res.noContent()`, `res.text(status, text)`; a stream
 *   of JSON messages (pull, push, build, events): `res.jsonStream()` returns a writer whose
 *   `write(obj)` sends one line and `end()` closes; raw bytes: `res.raw` (set the headers
 *   first with `res.head(status, headers)`). A connection upgrade (attach, exec start):
 *   `res.hijack(contentType)` answers `101 UPGRADED` and hands back the socket, which the route
 *   then owns (a request without `Connection: Upgrade` gets a 400: node's parser keeps its socket).
 * - Errors: throw a StrataError (errdefs/); the router answers `{"message": …}` with dockerd's
 *   status for its code (http-errors.ts). Once a stream has started, the route reports an
 *   error in the stream itself (`{"errorDetail":…}`), as dockerd does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { invalidArgument, notFound } from '../errdefs/index.ts';
import type { Engine } from '../engine/index.ts';
import { API_VERSION, MIN_API_VERSION } from '../engine/system-info.ts';
import { errorResponse } from './http-errors.ts';
import type { EventLog } from './events.ts';

/** What every route gets besides its request: the store, opened once per service. */
export interface ApiContext {
  engine: Engine;
  events: EventLog;
}

export type RouteHandler = (req: ApiRequest, res: ApiResponse, api: ApiContext) => Promise<void>;

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: RouteHandler;
}

/** The largest JSON body a route reads (dockerd has no fixed limit; a container config is a few KB). */
const MAX_JSON_BODY = 4 * 1024 * 1024;

export class ApiRequest {
  constructor(
    readonly raw: IncomingMessage,
    readonly path: string,
    readonly version: string,
    readonly params: Record<string, string>,
    readonly query: URLSearchParams,
    readonly signal: AbortSignal,
  ) {}

  get method(): string {
    return this.raw.method ?? 'GET';
  }

  header(name: string): string | undefined {
    const value = this.raw.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /** A path parameter that the route's pattern guarantees. */
  param(name: string): string {
    const value = this.params[name];
    if (value === undefined) throw invalidArgument(`missing path parameter ${name}`);
    return value;
  }

  /** docker's booleans in a query: `1`, `true`, `True` are true; absent is `fallback`. */
  queryBool(name: string, fallback = false): boolean {
    const value = this.query.get(name);
    if (value === null || value === '') return fallback;
    return !['0', 'false', 'False', 'FALSE', 'no'].includes(value);
  }

  /** A query parameter holding JSON (`filters`, `buildargs`, `labels`); 400 naming it when malformed. */
  queryJson<T>(name: string): T | undefined {
    const value = this.query.get(name);
    if (value === null || value === '') return undefined;
    try {
      return JSON.parse(value) as T;
    } catch (err) {
      throw invalidArgument(`invalid JSON in query parameter ${name}: ${(err as Error).message}`);
    }
  }

  /** The request's JSON body; `undefined` when it has none. */
  async json<T>(): Promise<T | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.raw as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_JSON_BODY) throw invalidArgument(`request body is larger than ${MAX_JSON_BODY} bytes`);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw invalidArgument(`invalid JSON in request body: ${(err as Error).message}`);
    }
  }
}

/** A stream of JSON messages, one a line, as dockerd writes progress and events. */
export interface JsonStream {
  /** Sends the status line now, before any message (a stream that may stay quiet: events). */
  open(): void;
  write(message: unknown): void;
  end(): void;
  readonly closed: boolean;
}

export class ApiResponse {
  constructor(readonly raw: ServerResponse, private readonly socket: Socket, private readonly upgradeHead?: Buffer) {}

  /** Whether the status line went out already (an error must then go into the stream). */
  get started(): boolean {
    return this.raw.headersSent;
  }

  head(status: number, headers: Record<string, string | number> = {}): void {
    this.raw.writeHead(status, headers);
  }

  json(status: number, value: unknown): void {
    const body = `${JSON.stringify(value)}\n`;
    this.raw.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    this.raw.end(body);
  }

  text(status: number, text: string): void {
    this.raw.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    this.raw.end(text);
  }

  noContent(): void {
    this.raw.writeHead(204);
    this.raw.end();
  }

  /**
   * The status line goes out with the first message, as dockerd's flushing writer does: a
   * failure before any progress (a pull of a name the registry does not know) is still an
   * HTTP error with its status.
   */
  jsonStream(status = 200): JsonStream {
    const raw = this.raw;
    const start = (): void => {
      if (raw.headersSent) return;
      raw.writeHead(status, { 'Content-Type': 'application/json' });
    };
    return {
      open: () => {
        start();
        raw.flushHeaders();
      },
      write: (message) => {
        start();
        if (!raw.writableEnded && !raw.destroyed) raw.write(`${JSON.stringify(message)}\r\n`);
      },
      end: () => {
        start();
        if (!raw.writableEnded) raw.end();
      },
      get closed() {
        return raw.writableEnded || raw.destroyed;
      },
    };
  }

  /**
   * Takes the connection over (attach, exec start): answers the upgrade and returns the
   * socket with anything the client sent past its headers put back in front.
   */
  hijack(contentType: string): Socket {
    // Only an upgraded connection is out of node's HTTP parser (docker's CLI, docker-py and
    // dockerode all ask for the upgrade when they attach).
    if (this.upgradeHead === undefined) throw invalidArgument('this endpoint takes the connection over: send Connection: Upgrade and Upgrade: tcp');
    this.socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    if (this.upgradeHead.length > 0) this.socket.unshift(this.upgradeHead);
    return this.socket;
  }
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.split('/').map((segment) => segment.replace(/\{(\w+)(\*?)\}|[^{}]+/g, (part, name: string | undefined, rest: string) => {
    if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(name);
    return rest === '*' ? '(.+)' : '([^/]+)';
  })).join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** `1.50` → [1, 50], for comparing API versions as dockerd does. */
function versionParts(version: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(version);
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

export function compareVersions(a: string, b: string): number {
  const [am, an] = versionParts(a) ?? [0, 0];
  const [bm, bn] = versionParts(b) ?? [0, 0];
  return am !== bm ? am - bm : an - bn;
}

/** The version a request asks for, and its path without the prefix; dockerd's errors for the rest. */
export function negotiate(pathname: string): { version: string; path: string } {
  // dockerd's prefix is `/v{version:[0-9.]+}`: `/volumes/…` is an unversioned path, not version "olumes".
  const m = /^\/v([0-9.]+)(\/.*)$/.exec(pathname);
  if (m === null) return { version: API_VERSION, path: pathname };
  const version = m[1] as string;
  const path = m[2] as string;
  if (versionParts(version) === undefined) throw notFound('page not found');
  if (compareVersions(version, API_VERSION) > 0) {
    throw invalidArgument(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw invalidArgument(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path };
}

/** Headers dockerd sets on every answer. */
export const COMMON_HEADERS: Record<string, string> = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'strata (linux)',
};

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[], private readonly api: ApiContext) {
    this.routes = routes.map(compile);
  }

  private readonly inFlight = new Set<Promise<void>>();

  /** Serves one request; `upgradeHead` is set when node:http handed it over as an upgrade. */
  handle(req: IncomingMessage, res: ServerResponse, upgradeHead?: Buffer): Promise<void> {
    const served = this.serve(req, res, upgradeHead);
    this.inFlight.add(served);
    void served.finally(() => this.inFlight.delete(served));
    return served;
  }

  /** Resolves once every request being served has finished (its clean-up included). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, upgradeHead?: Buffer): Promise<void> {
    for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value);
    const abort = new AbortController();
    // The client went away before the answer was complete: stop the work it asked for.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const response = new ApiResponse(res, req.socket, upgradeHead);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const { version, path } = negotiate(url.pathname);
      const method = req.method === 'HEAD' ? 'HEAD' : req.method;
      let matched: { route: Route; params: Record<string, string> } | undefined;
      for (const c of this.routes) {
        if (c.route.method !== method) continue;
        const m = c.pattern.exec(path);
        if (m === null) continue;
        const params: Record<string, string> = {};
        c.names.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1] as string);
        });
        matched = { route: c.route, params };
        break;
      }
      if (matched === undefined) throw notFound('page not found');
      const request = new ApiRequest(req, path, version, matched.params, url.searchParams, abort.signal);
      await matched.route.handler(request, response, this.api);
    } catch (err) {
      const { status, message } = errorResponse(err);
      if (!res.headersSent) {
        response.json(status, { message });
      } else if (!res.writableEnded) {
        // A stream already started: the error goes into it, as dockerd's progress errors do.
        res.end(`${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`);
      }
    }
  }
}
