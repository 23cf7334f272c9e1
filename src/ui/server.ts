/**
 * `strata ui`'s HTTP server: the built web app and the JSON it reads, on the same store as
 * the CLI. Read-only (GET only: nothing the app does changes the store, so a forged request
 * has nothing to do); every request needs the token and an allowed Host (access.ts) except
 * the small login page that asks for the token.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Engine } from '../engine/index.ts';
import { StrataError } from '../errdefs/index.ts';
import { cookieName, headerToken, hostAllowed, newToken, tokenMatches } from './access.ts';
import type { AnalysisSource } from './analysis-slot.ts';
import { loadAssets, type Asset } from './assets.ts';
import { imageDiffView, insightAnalysis, insightOf } from './insight-views.ts';
import { LayerExplorer } from './layer-explorer.ts';
import { listDirectory, searchIndex, withHidden } from './layer-tree.ts';
import { StoreWatch } from './store-watch.ts';
import { buildCacheRows, containerChanges, recentBuildRows, containerRows, diskView, imageDetail, imageRows, sharingView } from './store-views.ts';

export interface UiServerOptions {
  engine: Engine;
  address: string;
  port: number;
  assetsDir: string;
  /** Given by tests; a new random one otherwise. */
  token?: string;
  /** The image analyzer; src/insight's `image analyze` unless given. */
  analysis?: AnalysisSource;
}

export interface RunningUi {
  /** The URL to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const SEARCH_LIMIT = 500;

/** Asks for the token; static text, no user data. */
const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strata ui: token required</title></head>
<body><h1>strata ui</h1>
<p>Open the URL that <code>strata ui</code> printed (it carries the token), or paste the token here.</p>
<form method="get" action="/"><input name="token" type="password" autocomplete="off" aria-label="token" size="50"> <button>Open</button></form>
</body></html>
`;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new HttpError(404, `${what} not found`);
  return value;
}

export async function startUiServer(options: UiServerOptions): Promise<RunningUi> {
  const { engine } = options;
  const token = options.token ?? newToken();
  const assets: Map<string, Asset> = loadAssets(options.assetsDir);
  const insight = insightOf(engine);
  const explorer = new LayerExplorer(engine, insight);
  const watch = new StoreWatch(engine.db, join(engine.root, 'containers'));
  const analysis = options.analysis ?? insightAnalysis(insight);
  let port = options.port;

  const api = async (path: string, query: URLSearchParams, res: ServerResponse): Promise<void> => {
    const parts = path.split('/').slice(2).map((p) => decodeURIComponent(p));
    const [resource, id, sub] = parts;
    if (resource === 'events' && parts.length === 1) return watch.subscribe(res);
    if (resource === 'generation' && parts.length === 1) return json(res, 200, { generation: watch.generation });
    if (resource === 'images' && parts.length === 1) return json(res, 200, await imageRows(engine));
    if (resource === 'images' && parts.length === 2) return json(res, 200, found(await imageDetail(engine, id as string, analysis), `image ${id}`));
    if (resource === 'diff' && parts.length === 1) {
      const a = query.get('a') ?? '';
      const b = query.get('b') ?? '';
      if (a === '' || b === '') throw new HttpError(400, 'a diff needs two images: ?a=IMAGE&b=IMAGE');
      return json(res, 200, await imageDiffView(await insight(), a, b));
    }
    if (resource === 'sharing' && parts.length === 1) return json(res, 200, await sharingView(engine));
    if (resource === 'disk' && parts.length === 1) return json(res, 200, await diskView(engine));
    if (resource === 'containers' && parts.length === 1) return json(res, 200, await containerRows(engine));
    if (resource === 'containers' && sub === 'changes' && parts.length === 3) return json(res, 200, found(await containerChanges(engine, id as string), `container ${id}`));
    if (resource === 'build-cache' && parts.length === 1) return json(res, 200, buildCacheRows(engine));
    if (resource === 'builds' && parts.length === 1) return json(res, 200, recentBuildRows(engine));
    if (resource === 'layers' && parts.length === 3 && (sub === 'tree' || sub === 'search')) {
      const index = await explorer.index(id as string);
      // Opened from an image: mark what its later layers overwrite or delete.
      const image = query.get('image');
      const imageId = image === null ? undefined : found(engine.images.lookup(image), `image ${image}`);
      const hidden = imageId === undefined ? undefined : await explorer.hiddenPaths(imageId, id as string);
      if (sub === 'tree') {
        const dir = query.get('path') ?? '/';
        return json(res, 200, { chainId: id, path: dir, entries: withHidden(listDirectory(index, dir), hidden), fileCount: index.fileCount, totalSize: index.totalSize });
      }
      const q = query.get('q') ?? '';
      if (q === '') throw new HttpError(400, 'search needs a query: ?q=TEXT');
      const result = searchIndex(index, q, SEARCH_LIMIT);
      return json(res, 200, { chainId: id, query: q, matches: withHidden(result.matches, hidden), truncated: result.truncated });
    }
    throw new HttpError(404, `no such endpoint: ${path}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, port)) return text(res, 403, 'Host not allowed: strata ui answers only to an IP address or localhost\n');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const queryToken = url.searchParams.get('token') ?? undefined;
    if (queryToken !== undefined && tokenMatches(queryToken, token)) {
      // The URL's token becomes a cookie, and the address bar loses it.
      url.searchParams.delete('token');
      // Never `//host`: a Location of that form would send the browser elsewhere.
      const back = url.pathname.startsWith('//') ? '/' : url.pathname + url.search;
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'set-cookie': `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`,
        location: back,
      });
      return void res.end();
    }
    const isApi = url.pathname.startsWith('/api/');
    if (!tokenMatches(headerToken(req, port), token)) {
      if (isApi) return json(res, 401, { message: 'this strata ui needs its token: open the URL it printed' });
      if (url.pathname === '/' || url.pathname === '/login') return text(res, 401, LOGIN_PAGE, 'text/html; charset=utf-8');
      return text(res, 401, 'token required\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { message: `${req.method} is not allowed: strata ui only reads the store` });
    if (isApi) return api(url.pathname, url.searchParams, res);
    const asset = assets.get(url.pathname);
    if (!asset) return text(res, 404, 'not found\n');
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': url.pathname.startsWith('/assets/') ? 'private, max-age=31536000, immutable' : 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof StrataError && err.code === 'not-found' ? 404 : err instanceof StrataError && err.code === 'invalid-argument' ? 400 : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) json(res, status, { message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  // A wildcard address is reached through loopback on this machine.
  const shown = options.address === '0.0.0.0' ? '127.0.0.1' : options.address === '::' ? '::1' : options.address;
  const host = shown.includes(':') ? `[${shown}]` : shown;
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        watch.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
