/**
 * A container's files: `archive` (docker cp both ways, with the X-Docker-Container-Path-Stat
 * header), `export`, `changes` and `POST /commit`. Tars stream in and out, never buffered whole.
 */
import { PassThrough } from 'node:stream';
import { invalidArgument } from '../../errdefs/index.ts';
import { parseReference, withDefaultTag } from '../../oci/index.ts';
import type { Route } from '../router.ts';
import { containersOf, pathContainer } from './containers.ts';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';
const KINDS: Record<string, number> = { C: 0, A: 1, D: 2 };

function pathParam(query: URLSearchParams): string {
  const path = query.get('path');
  if (path === null || path === '') throw invalidArgument('bad parameter: path cannot be empty');
  return path;
}

/**
 * A client that goes away must stop the copy: its tar would otherwise wait forever on a
 * pipe nobody reads (or for a body that never ends), the container frozen meanwhile.
 */
async function untilAborted<T>(signal: AbortSignal, stream: { destroy(error?: Error): unknown }, work: () => Promise<T>): Promise<T> {
  const stop = (): void => {
    stream.destroy(new Error('the client closed the connection'));
  };
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    return await work();
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** The header's value: the PathStat as base64 JSON, as dockerd sends it. */
function statHeader(stat: object): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

export const containerFileRoutes: Route[] = [
  {
    method: 'HEAD',
    path: '/containers/{id}/archive',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const { statContainerPath } = await import('../../containers/index.ts');
      const stat = await statContainerPath(containers, c, pathParam(req.query));
      res.head(200, { [STAT_HEADER]: statHeader(stat) });
      res.raw.end();
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/archive',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const path = pathParam(req.query);
      const { archiveFromContainer, statContainerPath } = await import('../../containers/index.ts');
      const stat = await statContainerPath(containers, c, path);
      res.head(200, { 'Content-Type': 'application/x-tar', [STAT_HEADER]: statHeader(stat) });
      // The tar goes through a stream of its own, which a client that leaves fails.
      const out = new PassThrough();
      out.on('error', () => undefined); // what failed it is the copy's error
      out.pipe(res.raw);
      await untilAborted(req.signal, out, () => archiveFromContainer(containers, c, path, out));
      out.end();
    },
  },
  {
    method: 'PUT',
    path: '/containers/{id}/archive',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const path = pathParam(req.query);
      const { extractToContainer } = await import('../../containers/index.ts');
      await untilAborted(req.signal, req.raw, () => extractToContainer(containers, c, req.raw, path));
      res.head(200, { 'Content-Length': 0 });
      res.raw.end();
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/export',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const { exportContainer } = await import('../../containers/index.ts');
      res.head(200, { 'Content-Type': 'application/x-tar' });
      const out = new PassThrough();
      out.on('error', () => undefined); // what failed it is the copy's error
      out.pipe(res.raw);
      await untilAborted(req.signal, out, () => exportContainer(containers, c, out));
      out.end();
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/changes',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const changes = await containers.changes(c);
      res.json(200, changes.length > 0 ? changes.map((ch) => ({ Path: ch.path, Kind: KINDS[ch.kind] ?? 0 })) : null);
    },
  },
  {
    method: 'POST',
    path: '/commit',
    handler: async (req, res, api) => {
      const ref = req.query.get('container');
      if (!ref) throw invalidArgument('No container specified');
      const body = await req.json<unknown>();
      if (body !== undefined && body !== null && (typeof body !== 'object' || Object.values(body as object).some((v) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)))) {
        throw invalidArgument('a commit Config body is not supported by strata: use changes');
      }
      const containers = await containersOf(api);
      const c = containers.find(ref);
      const repo = req.query.get('repo') ?? '';
      const tag = req.query.get('tag') ?? '';
      let named;
      if (repo !== '') {
        try {
          named = withDefaultTag(parseReference(tag !== '' ? `${repo}:${tag}` : repo));
        } catch (err) {
          throw invalidArgument(`invalid reference format: ${(err as Error).message}`);
        }
      } else if (tag !== '') {
        throw invalidArgument('tag without repository');
      }
      const changes = req.query.getAll('changes').filter((v) => v !== '');
      const { configChanges } = await import('../../builder/config-changes.ts');
      const id = await containers.commit(c, {
        ...(named ? { tag: named } : {}),
        ...(req.query.get('comment') ? { message: req.query.get('comment') as string } : {}),
        ...(req.query.get('author') ? { author: req.query.get('author') as string } : {}),
        ...(changes.length > 0 ? { applyChanges: configChanges(changes) } : {}),
        pause: req.queryBool('pause', true),
        signal: req.signal,
      });
      res.json(201, { Id: id });
    },
  },
];
