/**
 * A reverse proxy in front of a test registry that records every request and lets a test
 * answer some of them itself: an HTML error page, a 429 with rate-limit headers, a 5xx
 * that passes, a redirect to "blob storage" on another origin, a schema 1 manifest, a
 * body cut short, a transfer that stalls halfway (the connection left open, as a hung
 * registry leaves it). Everything else is forwarded unchanged (the Host header is kept, so
 * the registry's upload locations point back at the proxy).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  range?: string;
}

/** What an interceptor returns: a full answer (status 0: drop the connection), or undefined to forward the request. */
export type Answer = { status: number; headers?: Record<string, string>; body?: Buffer | string } | undefined;
export type Interceptor = (req: IncomingMessage, path: string) => Answer | Promise<Answer>;

export class RegistryProxy {
  readonly requests: RecordedRequest[] = [];
  interceptor: Interceptor | undefined;
  /** Called with each upstream response body chunk; may replace it (or return null to cut the connection). */
  rewriteChunk: ((path: string, chunk: Buffer, sent: number) => Buffer | null) | undefined;
  /** Once it returns true for a response (given the body bytes sent so far), the rest of that body is held back: the transfer stalls. */
  holdResponse: ((path: string, sent: number) => boolean) | undefined;
  /** Once it returns true for a request (given the body bytes received so far), the proxy stops reading that body: an upload stalls. */
  holdRequest: ((path: string, received: number) => boolean) | undefined;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly upstream: { host: string; port: number }) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  /** Requests whose path matches, e.g. blob GETs. */
  count(method: string, pattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path)).length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    after(() => this.close());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.requests.push({
      method: req.method ?? 'GET', path,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(typeof req.headers.range === 'string' ? { range: req.headers.range } : {}),
    });
    const answer = await this.interceptor?.(req, path);
    if (answer !== undefined && answer.status === 0) {
      req.socket.destroy();
      return;
    }
    if (answer !== undefined) {
      req.resume();
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
      return;
    }
    const upstreamReq = request({ host: this.upstream.host, port: this.upstream.port, method: req.method, path, headers: req.headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      let sent = 0;
      // A client that gives up on a held transfer takes the upstream one with it.
      res.once('close', () => {
        if (!upstreamRes.complete) upstreamRes.destroy();
      });
      upstreamRes.on('data', (chunk: Buffer) => {
        if (this.holdResponse?.(path, sent)) {
          upstreamRes.pause();
          return;
        }
        const out = this.rewriteChunk ? this.rewriteChunk(path, chunk, sent) : chunk;
        if (out === null) {
          upstreamRes.destroy();
          res.destroy();
          return;
        }
        sent += out.length;
        if (!res.write(out)) {
          upstreamRes.pause();
          res.once('drain', () => upstreamRes.resume());
        }
      });
      upstreamRes.on('end', () => res.end());
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><head><title>502 Bad Gateway</title></head><body>upstream registry unreachable</body></html>');
      } else res.destroy();
    });
    if (this.holdRequest === undefined) {
      req.pipe(upstreamReq);
      return;
    }
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      if (this.holdRequest?.(path, received)) {
        req.pause();
        return;
      }
      received += chunk.length;
      upstreamReq.write(chunk);
    });
    req.on('end', () => upstreamReq.end());
    req.once('close', () => {
      if (!req.complete) upstreamReq.destroy();
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Starts a proxy in front of `upstream` (`127.0.0.1:port`); closed when the test file ends. */
export async function startProxy(upstream: string): Promise<RegistryProxy> {
  const [host, port] = upstream.split(':') as [string, string];
  const proxy = new RegistryProxy({ host, port: Number(port) });
  await proxy.start();
  return proxy;
}
