/**
 * Image endpoints: list, inspect, history, tag, remove, prune, pull and import
 * (/images/create), push, load, save (/images/get).
 */
import { invalidArgument } from '../../errdefs/index.ts';
import { imageInspectJson } from '../../engine/image-inspect.ts';
import { imageHistory, imageUsage, listImages } from '../../images/index.ts';
import { familiarString, formatReference, parsePlatform, parseReference, withDefaultTag, type Digest, type Reference } from '../../oci/index.ts';
import { queryFilters } from '../filters.ts';
import { streamProgress } from '../progress.ts';
import { registryAuth, requestRegistries } from '../registry-auth.ts';
import type { ApiContext, ApiRequest, ApiResponse, JsonStream, Route } from '../router.ts';

/** `fromImage` and `tag` as the docker CLI sends them (a digest may come as the tag). */
function pullReference(image: string, tag: string | null): Reference {
  if (tag !== null && tag !== '') {
    return parseReference(tag.includes(':') ? `${image}@${tag}` : `${image}:${tag}`);
  }
  return parseReference(image);
}

function platformOf(req: ApiRequest): ReturnType<typeof parsePlatform> | undefined {
  const platform = req.query.get('platform');
  return platform === null || platform === '' ? undefined : parsePlatform(platform);
}

async function pull(req: ApiRequest, api: ApiContext, stream: JsonStream, ref: Reference): Promise<void> {
  const { pullImage } = await import('../../registry/index.ts');
  const credentials = registryAuth(req.header('X-Registry-Auth'));
  const registries = requestRegistries(() => credentials);
  const allTags = ref.tag === undefined && ref.digest === undefined;
  const platform = platformOf(req);
  try {
    const result = await pullImage(api.engine, ref, {
      registries, allTags, signal: req.signal,
      ...(platform ? { platform } : {}),
      onProgress: streamProgress(stream),
    });
    for (const image of result.images) api.events.emit('image', 'pull', familiarString(image.reference), { name: familiarString(image.reference) });
  } finally {
    await registries.close();
  }
}

async function importFrom(req: ApiRequest, api: ApiContext, stream: JsonStream): Promise<void> {
  const src = req.query.get('fromSrc') ?? '-';
  if (src !== '-') throw invalidArgument(`fromSrc=${src}: only "-" (the request body) is supported`);
  const repo = req.query.get('repo') ?? '';
  const tagText = req.query.get('tag') ?? '';
  const tag = repo === '' ? undefined : withDefaultTag(parseReference(tagText === '' ? repo : `${repo}:${tagText}`));
  const changes = req.query.getAll('changes').filter((c) => c !== '');
  const { importTarball } = await import('../../archive/index.ts');
  const { configChanges } = await import('../../builder/config-changes.ts');
  const applyChanges = changes.length > 0 ? configChanges(changes) : undefined;
  const platform = platformOf(req);
  const message = req.query.get('message') ?? '';
  const id = await importTarball(api.engine.images, api.engine.content, api.engine.gc, {
    source: req.raw,
    sourceName: 'the request body',
    ...(tag ? { tag } : {}),
    ...(message !== '' ? { message } : {}),
    ...(applyChanges ? { applyChanges } : {}),
    ...(platform ? { platform } : {}),
    unpack: api.engine.unpacker(),
    signal: req.signal,
  });
  api.events.emit('image', 'import', id, tag ? { name: familiarString(tag) } : {});
  stream.write({ status: id });
}

export const imageRoutes: Route[] = [
  {
    method: 'GET',
    path: '/images/json',
    handler: async (req, res, api) => {
      const filters = queryFilters(req);
      // API < 1.41 had `filter=NAME` for a reference.
      const legacy = req.query.get('filter');
      if (legacy !== null && legacy !== '') filters.set('reference', [...(filters.get('reference') ?? []), legacy]);
      const sharedSizes = req.queryBool('shared-size')
        ? new Map([...imageUsage(api.engine.images).perImage].map(([id, u]) => [id, u.sharedSize]))
        : undefined;
      const images = listImages(api.engine.images, { all: req.queryBool('all'), filters, ...(sharedSizes ? { sharedSizes } : {}) });
      res.json(200, images);
    },
  },
  {
    method: 'POST',
    path: '/images/create',
    handler: async (req, res, api) => {
      const fromImage = req.query.get('fromImage');
      const fromSrc = req.query.get('fromSrc');
      if ((fromImage === null || fromImage === '') && (fromSrc === null || fromSrc === '')) {
        throw invalidArgument('either fromImage or fromSrc is required');
      }
      // A bad name is a 400 before the stream starts.
      const ref = fromImage !== null && fromImage !== '' ? pullReference(fromImage, req.query.get('tag')) : undefined;
      const stream = res.jsonStream();
      if (ref === undefined) await importFrom(req, api, stream);
      else await pull(req, api, stream, ref);
      stream.end();
    },
  },
  {
    method: 'GET',
    path: '/images/get',
    handler: async (req, res, api) => {
      const names = req.query.getAll('names').filter((n) => n !== '');
      await save(res, api, names);
    },
  },
  {
    method: 'GET',
    path: '/images/{name*}/get',
    handler: async (req, res, api) => save(res, api, [req.param('name')]),
  },
  {
    method: 'POST',
    path: '/images/load',
    handler: async (req, res, api) => {
      const loader = await api.engine.archiveLoader();
      const result = await loader.load({ source: req.raw, sourceName: 'the request body', signal: req.signal });
      const stream = res.jsonStream();
      for (const line of result.lines) {
        stream.write({ stream: `${line}\n` });
        const loaded = /^Loaded image(?: ID)?: (.*)$/.exec(line)?.[1];
        if (loaded !== undefined) api.events.emit('image', 'load', loaded, { name: loaded });
      }
      stream.end();
    },
  },
  {
    method: 'POST',
    path: '/images/prune',
    handler: async (req, res, api) => {
      const filters = queryFilters(req);
      const danglingValues = filters.get('dangling') ?? [];
      const all = danglingValues.some((v) => v === 'false' || v === '0');
      filters.delete('dangling');
      const report = (await api.engine.imageRemover()).prune({ all, filters });
      for (const r of report.records) {
        if (r.deleted !== undefined) api.events.emit('image', 'delete', r.deleted);
        if (r.untagged !== undefined) api.events.emit('image', 'untag', r.untagged);
      }
      res.json(200, {
        ImagesDeleted: report.records.length === 0 ? null : report.records.map((r) => (r.untagged !== undefined ? { Untagged: r.untagged } : { Deleted: r.deleted })),
        SpaceReclaimed: report.spaceReclaimed,
      });
    },
  },
  {
    method: 'GET',
    path: '/images/{name*}/json',
    handler: async (req, res, api) => {
      const id = api.engine.images.resolve(req.param('name'));
      res.json(200, imageInspectJson(api.engine, id));
    },
  },
  {
    method: 'GET',
    path: '/images/{name*}/history',
    handler: async (req, res, api) => {
      const id = api.engine.images.resolve(req.param('name'));
      res.json(200, imageHistory(api.engine.images, id).map((h) => ({
        Comment: h.comment, Created: h.created, CreatedBy: h.createdBy, Id: h.id, Size: h.size, Tags: h.tags.length === 0 ? null : h.tags,
      })));
    },
  },
  {
    method: 'POST',
    path: '/images/{name*}/tag',
    handler: async (req, res, api) => {
      const id = api.engine.images.resolve(req.param('name'));
      const repo = req.query.get('repo') ?? '';
      if (repo === '') throw invalidArgument('repository name must have at least one component');
      const tag = req.query.get('tag') ?? '';
      const ref = withDefaultTag(parseReference(tag === '' ? repo : `${repo}:${tag}`));
      if (ref.digest !== undefined) throw invalidArgument(`refusing to create a tag with a digest reference`);
      api.engine.images.tag(ref, id);
      api.events.emit('image', 'tag', id, { name: familiarString(ref) });
      res.head(201);
      res.raw.end();
    },
  },
  {
    method: 'POST',
    path: '/images/{name*}/push',
    handler: async (req, res, api) => {
      const tag = req.query.get('tag') ?? '';
      const ref = parseReference(tag === '' ? req.param('name') : `${req.param('name')}:${tag}`);
      const allTags = ref.tag === undefined && ref.digest === undefined;
      const { pushImage } = await import('../../registry/index.ts');
      const credentials = registryAuth(req.header('X-Registry-Auth'));
      const registries = requestRegistries(() => credentials);
      const stream = res.jsonStream();
      try {
        const result = await pushImage(api.engine, ref, { registries, allTags, signal: req.signal, onProgress: streamProgress(stream) });
        for (const pushed of result.tags) {
          stream.write({ progressDetail: {}, aux: { Tag: pushed.reference.tag ?? '', Digest: pushed.digest, Size: pushed.size } });
        }
        api.events.emit('image', 'push', formatReference(ref), { name: familiarString(ref) });
      } finally {
        await registries.close();
      }
      stream.end();
    },
  },
  {
    method: 'DELETE',
    path: '/images/{name*}',
    handler: async (req, res, api) => {
      const remover = await api.engine.imageRemover();
      const records = remover.remove(req.param('name'), { force: req.queryBool('force'), prune: !req.queryBool('noprune') });
      for (const r of records) {
        if (r.deleted !== undefined) api.events.emit('image', 'delete', r.deleted);
        if (r.untagged !== undefined) api.events.emit('image', 'untag', r.untagged);
      }
      res.json(200, records.map((r) => (r.untagged !== undefined ? { Untagged: r.untagged } : { Deleted: r.deleted })));
    },
  },
];

/** docker save's archive as the response body, streamed; every name resolved before a byte goes out. */
async function save(res: ApiResponse, api: ApiContext, names: string[]): Promise<void> {
  if (names.length === 0) throw invalidArgument('no image names given: pass names=IMAGE');
  const ids: Digest[] = names.map((n) => api.engine.images.resolve(n));
  const { saveImages } = await import('../../archive/index.ts');
  res.head(200, { 'Content-Type': 'application/x-tar' });
  await saveImages(api.engine.images, { refs: names, output: res.raw, layerTar: (layer) => api.engine.layerTar(layer) });
  res.raw.end();
  for (const id of ids) api.events.emit('image', 'save', id);
}
