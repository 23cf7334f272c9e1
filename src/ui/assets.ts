/**
 * The web app's files (packages/ui-web, built by scripts/build.mjs into dist/ui), read once
 * into memory when the server starts: a few hundred KB, served without touching the disk.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notFound } from '../errdefs/index.ts';

export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/**
 * Where the built app is: beside the CLI bundle (dist/ui, seen from dist/ or dist/chunks/),
 * or, when strata runs from its sources, in the checkout's dist/ui.
 * @throws not-found when the app was never built
 */
export function findAssetsDir(): string {
  const candidates = ['./ui/', '../ui/', '../../dist/ui/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (found === undefined) throw notFound(`the web app's files are missing (looked in ${candidates.join(', ')}): build them with node scripts/build.mjs`);
  return found;
}

/** Every file under `dir`, keyed by its URL path (`/assets/index-1a2b.js`); `/` is index.html. */
export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const walk = (current: string): void => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(`/${relative(dir, path).split(sep).join('/')}`, { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  };
  walk(dir);
  const index = out.get('/index.html');
  if (index) out.set('/', index);
  return out;
}
