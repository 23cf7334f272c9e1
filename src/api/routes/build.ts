/**
 * POST /build: the classic builder's API over strata's builder. The body is the context as
 * a tar (plain, gzip or zstd), streamed into a context directory kept between builds (only
 * what changed is written), never held in memory; the answer is docker's JSON stream (`{"stream":…}` lines, `{"aux":{"ID":…}}`,
 * `{"errorDetail":…}`). BuildKit's session endpoints (version=2) are not served.
 */
import { pipeline, Transform, Writable, type Readable } from 'node:stream';
import { invalidArgument, StrataError, unimplemented } from '../../errdefs/index.ts';
import { familiarString, hostPlatform, parsePlatform, parseReference, type Reference } from '../../oci/index.ts';
import type { BuildHost } from '../../builder/index.ts';
import { queryFilters } from '../filters.ts';
import { registryConfig, requestRegistries } from '../registry-auth.ts';
import type { ApiRequest, JsonStream, Route } from '../router.ts';

/** Query parameters that change a build in ways strata's builder does not do: refused, never ignored. */
const UNSUPPORTED_NUMBERS = ['memory', 'memswap', 'cpushares', 'cpuquota', 'cpuperiod', 'shmsize'];
const UNSUPPORTED_TEXTS = ['cpusetcpus', 'cpusetmems', 'cgroupparent', 'remote', 'outputs'];

function refuseUnsupported(req: ApiRequest): void {
  for (const name of UNSUPPORTED_NUMBERS) {
    const v = req.query.get(name);
    if (v !== null && v !== '' && v !== '0' && v !== '-1') throw invalidArgument(`build parameter ${name}=${v} is not supported by strata's builder`);
  }
  for (const name of UNSUPPORTED_TEXTS) {
    const v = req.query.get(name);
    if (v !== null && v !== '') throw invalidArgument(`build parameter ${name}=${v} is not supported by strata's builder`);
  }
  if (req.queryBool('squash')) throw invalidArgument('build parameter squash is not supported by strata\'s builder');
  const ulimits = req.query.get('ulimits');
  if (ulimits !== null && ulimits !== '' && ulimits !== 'null' && ulimits !== '[]') throw invalidArgument('build parameter ulimits is not supported by strata\'s builder');
  const isolation = req.query.get('isolation');
  if (isolation !== null && isolation !== '' && isolation !== 'default') throw invalidArgument(`build parameter isolation=${isolation} is not supported`);
  const version = req.query.get('version');
  if (version === '2') throw unimplemented('BuildKit builds (version=2) are not supported: use the classic builder API (DOCKER_BUILDKIT=0)');
  const cacheFrom = req.queryJson<unknown>('cachefrom');
  if (Array.isArray(cacheFrom) && cacheFrom.length > 0) throw invalidArgument('build parameter cachefrom is not supported by strata\'s builder');
}

function stringMap(req: ApiRequest, name: string): Map<string, string> {
  const value = req.queryJson<unknown>(name);
  const out = new Map<string, string>();
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`invalid ${name}: a JSON object of strings is expected`);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // A null build arg is one the client declared without a value: left unset, as dockerd does.
    if (v === null) continue;
    if (typeof v !== 'string') throw invalidArgument(`invalid ${name}: the value of ${k} is not a string`);
    out.set(k, v);
  }
  return out;
}

function tagsOf(req: ApiRequest): Reference[] {
  return req.query.getAll('t').filter((t) => t !== '').map((t) => {
    let ref: Reference;
    try {
      ref = parseReference(t);
    } catch (err) {
      throw invalidArgument(`invalid tag "${t}": ${(err as Error).message}`);
    }
    if (ref.digest !== undefined) throw invalidArgument(`invalid tag "${t}": a tag cannot be a digest reference`);
    return ref;
  });
}

function checkPlatform(req: ApiRequest): void {
  const platform = req.query.get('platform');
  if (platform === null || platform === '') return;
  const host = hostPlatform();
  const p = parsePlatform(platform);
  if (p.os !== host.os || p.architecture !== host.architecture || (p.variant ?? '') !== (host.variant ?? '')) {
    throw invalidArgument(`strata builds only for the native platform (${host.os}/${host.architecture}), not ${platform}`);
  }
}

/** `default` (what docker's CLI sends) and `bridge` are the default bridge; none given, the host's network, as `strata build`'s. */
function networkOf(req: ApiRequest): 'default' | 'host' | 'none' {
  const mode = req.query.get('networkmode') ?? '';
  if (mode === '' || mode === 'host') return 'host';
  if (mode === 'default' || mode === 'bridge') return 'default';
  if (mode === 'none') return mode;
  throw invalidArgument(`network mode "${mode}" not supported by strata's builder: use default (or bridge), host or none`);
}

function extraHostsOf(req: ApiRequest): { name: string; ip: string }[] {
  const value = req.query.get('extrahosts');
  if (value === null || value === '') return [];
  return value.split(',').map((entry) => {
    const i = entry.indexOf(':');
    if (i <= 0) throw invalidArgument(`invalid extrahosts entry "${entry}": expected host:ip`);
    return { name: entry.slice(0, i), ip: entry.slice(i + 1) };
  });
}

/**
 * Whether a 512-byte block is a tar header (its checksum holds) or the zero block that ends
 * an empty archive: checked before the build starts, so that a body that is not a tar is a
 * 400 and no build step runs.
 */
function startsLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  if (head.subarray(0, 512).every((b) => b === 0)) return true;
  const stored = parseInt(head.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (head[i] as number);
  return stored === sum;
}

/**
 * The request body in pieces of 256 kB or more: the docker CLI sends a context in chunks of a
 * few kB (60,000 for 150 MB), and every layer after this one (decompression, tar parsing, the
 * comparison with the kept context) costs per chunk.
 */
function gathered(body: Readable): Readable {
  const size = 256 << 10;
  let parts: Buffer[] = [];
  let fill = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      fill += chunk.length;
      if (fill < size) return callback();
      const piece = Buffer.concat(parts, fill);
      parts = [];
      fill = 0;
      callback(null, piece);
    },
    flush(callback) {
      callback(null, fill > 0 ? Buffer.concat(parts, fill) : undefined);
    },
  });
  // A client that hangs up mid-body fails the stream (never leaves it waiting).
  pipeline(body, out, () => {});
  return out;
}

/**
 * The Dockerfile's name as it identifies a project's kept context: the docker CLI adds a
 * Dockerfile from outside the context under a new random name each build (`.dockerfile.<hex>`).
 */
function keptDockerfileName(path: string): string {
  return /^\.dockerfile\.[0-9a-f]+$/.test(path) ? '.dockerfile' : path;
}

/** Progress text from the builder, sent as `{"stream": …}` messages. */
function streamWriter(stream: JsonStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stream.write({ stream: chunk.toString('utf8') });
      callback();
    },
  });
}

export const buildRoutes: Route[] = [
  {
    method: 'POST',
    path: '/build',
    handler: async (req, res, api) => {
      refuseUnsupported(req);
      checkPlatform(req);
      const tags = tagsOf(req);
      const buildArgs = stringMap(req, 'buildargs');
      const labels = Object.fromEntries(stringMap(req, 'labels'));
      const network = networkOf(req);
      const extraHosts = extraHostsOf(req);
      const quiet = req.queryBool('q');
      const dockerfilePath = req.query.get('dockerfile') || 'Dockerfile';
      const credentials = registryConfig(req.header('X-Registry-Config'));
      const { decompressed, peek } = await import('../../archive/index.ts');
      const { build, Progress, BuildError, formatBuildFailure, receiveContextTar } = await import('../../builder/index.ts');
      const { head, stream: body } = await peek((await decompressed(gathered(req.raw), 'the build context')).stream, 512);
      if (!startsLikeTar(head)) throw invalidArgument('the build context in the request body is not a tar archive (plain, gzip or zstd)');
      // Received whole before the answer starts, so a truncated or malformed tar is a 400. Kept
      // per tags and Dockerfile path: a rebuild of the same project writes only what changed.
      const context = await receiveContextTar(api.engine.root, body, {
        description: 'in the request body',
        keep: `${keptDockerfileName(dockerfilePath)}\0${tags.map(familiarString).join('\0')}`,
      });
      let stream: JsonStream;
      try {
        stream = res.jsonStream();
      } catch (err) {
        context.release();
        throw err;
      }
      const engine = api.engine;
      let registries: ReturnType<typeof requestRegistries> | undefined;
      // A base image that is missing is pulled, with the credentials the client sent.
      const host: BuildHost = engine.buildHost(async (ref) => {
        const { pullImage } = await import('../../registry/index.ts');
        registries ??= requestRegistries((key) => credentials.get(key));
        const result = await pullImage(engine, ref, { registries, signal: req.signal });
        const image = result.images[0];
        if (image === undefined) throw new StrataError('not-found', `pull of ${ref.path} gave no image`);
        api.events.emit('image', 'pull', familiarString(image.reference), { name: familiarString(image.reference) });
        return image.id;
      });
      const progress = new Progress({ mode: quiet ? 'quiet' : 'plain', out: streamWriter(stream) });
      const target = req.query.get('target') ?? '';
      try {
        const result = await build(host, {
          context: { kind: 'received', context },
          dockerfile: { kind: 'in-context', path: dockerfilePath },
          buildArgs, tags, labels, progress, signal: req.signal, network, extraHosts,
          ...(target !== '' ? { target } : {}),
          noCache: req.queryBool('nocache'),
          pull: req.queryBool('pull'),
        });
        progress.finish();
        stream.write({ aux: { ID: result.imageId } });
        if (quiet) {
          stream.write({ stream: `${result.imageId}\n` });
        } else {
          stream.write({ stream: `Successfully built ${result.imageId.slice('sha256:'.length, 'sha256:'.length + 12)}\n` });
          for (const tag of result.tags) stream.write({ stream: `Successfully tagged ${tag}\n` });
        }
        api.events.emit('image', 'build', result.imageId);
        for (const tag of result.tags) api.events.emit('image', 'tag', result.imageId, { name: tag });
      } catch (err) {
        progress.finish();
        if (err instanceof BuildError) {
          const report = formatBuildFailure(err);
          if (report !== '') stream.write({ stream: `${report}\n` });
          const message = `failed to solve: ${err.message}`;
          stream.write({ errorDetail: { message }, error: message });
          return stream.end();
        }
        throw err;
      } finally {
        context.release();
        await registries?.close();
      }
      stream.end();
    },
  },
  {
    method: 'POST',
    path: '/build/prune',
    handler: async (req, res, api) => {
      const filters = queryFilters(req);
      for (const name of filters.keys()) throw invalidArgument(`build cache filter '${name}' is not supported`);
      const keep = req.query.get('keep-storage') ?? req.query.get('reserved-space');
      if (keep !== null && keep !== '' && keep !== '0') throw invalidArgument('build cache prune: keep-storage is not supported');
      const { pruneBuildCacheAndCollect } = await import('../../engine/build-cache-prune.ts');
      const { removed, reclaimed } = pruneBuildCacheAndCollect(api.engine, req.queryBool('all'));
      res.json(200, { CachesDeleted: removed, SpaceReclaimed: reclaimed });
    },
  },
];
