/**
 * `images`, `image history` and `inspect`: image records rendered the way docker/cli's
 * formatters render them (columns, headers, --format, --no-trunc, -q).
 */
import { formatRFC3339, goStruct, goTimeString, toGoTime, type GoStruct } from '@strata/go-template';
import { notFound, StrataError } from '../../errdefs/index.ts';
import { parseReference, familiarName, type Digest } from '../../oci/index.ts';
import { imageInspectJson } from '../../engine/image-inspect.ts';
import {
  imageHistory, listImages, type HistoryRow, type ImageInspect, type ImageSummary,
} from '../../images/index.ts';
import { renderList, type ListRow } from '../format/render.ts';
import { humanSize4, humanSizeWithPrecision } from '../format/size.ts';
import { timeAgo, humanDuration } from '../format/duration.ts';
import { ellipsis, truncateId } from '../format/display.ts';
import { printInspect } from '../inspect-output.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';
import { parseFilters } from '../filters.ts';

const IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const IMAGE_TABLE_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGE_HEADERS = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', Containers: 'CONTAINERS', VirtualSize: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};

/** One row of `images` (docker/cli's imageContext): fields are methods, as in Go. */
export function imageRow(image: ImageSummary, repo: string, tag: string, digest: string, trunc: boolean, now = Date.now()): ListRow {
  return {
    ID: () => (trunc ? truncateId(image.Id) : image.Id),
    Repository: () => repo,
    Tag: () => tag,
    Digest: () => digest,
    CreatedSince: () => (image.Created === 0 ? '' : timeAgo(image.Created * 1000, now)),
    CreatedAt: () => goTimeString(toGoTime(image.Created * 1000)),
    Size: () => humanSizeWithPrecision(image.Size, 3),
    Containers: () => (image.Containers === -1 ? 'N/A' : String(image.Containers)),
    VirtualSize: () => humanSize4(image.Size),
    SharedSize: () => (image.SharedSize === -1 ? 'N/A' : humanSize4(image.SharedSize)),
    UniqueSize: () => (image.Size === -1 || image.SharedSize === -1 ? 'N/A' : humanSize4(image.Size - image.SharedSize)),
  };
}

function isDangling(image: ImageSummary): boolean {
  return image.RepoTags.length === 0 && image.RepoDigests.length === 0;
}

/** docker/cli's imageFormatTaggedAndDigest: a row per repository tag (and per digest when asked). */
export function imageRows(images: ImageSummary[], options: { trunc: boolean; digests: boolean; needDigest: boolean }): ListRow[] {
  const rows: ListRow[] = [];
  for (const image of images) {
    if (isDangling(image)) {
      rows.push(imageRow(image, '<none>', '<none>', '<none>', options.trunc));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of image.RepoTags) {
      const ref = parseReference(t);
      if (ref.tag === undefined) continue;
      const name = familiarName(ref);
      repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
    }
    for (const d of image.RepoDigests) {
      const ref = parseReference(d);
      if (ref.digest === undefined) continue;
      const name = familiarName(ref);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
    }
    // Go iterates maps in random order; strata lists repositories alphabetically.
    for (const repo of [...repoTags.keys()].sort()) {
      let digests = repoDigests.get(repo) ?? [];
      repoDigests.delete(repo);
      if (!options.needDigest) digests = [];
      for (const tag of repoTags.get(repo) ?? []) {
        if (digests.length === 0) rows.push(imageRow(image, repo, tag, '<none>', options.trunc));
        else for (const d of digests) rows.push(imageRow(image, repo, tag, d, options.trunc));
      }
    }
    for (const repo of [...repoDigests.keys()].sort()) {
      if (options.digests) for (const d of repoDigests.get(repo) ?? []) rows.push(imageRow(image, repo, '<none>', d, options.trunc));
      else rows.push(imageRow(image, repo, '<none>', '', options.trunc));
    }
  }
  return rows;
}

export async function images(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const engine = await ctx.engine();
  const filters = parseFilters(options['filter'] as string[]);
  if (args[0] !== undefined) filters.set('reference', [...(filters.get('reference') ?? []), args[0]]);
  const summaries = listImages(engine.images, { all: Boolean(options['all']), filters });
  const format = (options['format'] as string | undefined) ?? '';
  const digests = Boolean(options['digests']);
  let defaultFormat = digests ? IMAGE_TABLE_DIGESTS : IMAGE_TABLE;
  let effective = format;
  if (format.startsWith('table') && digests && !format.includes('{{.Digest}}')) effective = `${format}\t{{.Digest}}`;
  if (format === 'table' || format === '') effective = '';
  const rows = imageRows(summaries, {
    trunc: !options['no-trunc'],
    digests,
    needDigest: digests || effective.includes('{{.Digest}}'),
  });
  if (options['quiet'] && (format === '' || format === 'table')) defaultFormat = 'table {{.ID}}';
  ctx.write(renderList(rows, {
    format: options['quiet'] && (format === '' || format === 'table') ? '{{.ID}}' : effective,
    defaultFormat,
    headers: IMAGE_HEADERS,
    typeName: '*formatter.imageContext',
  }));
}

const HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HISTORY_TABLE_NON_HUMAN = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

function historyRow(h: HistoryRow, trunc: boolean, human: boolean, now: number): ListRow {
  const createdAt = (): string => formatRFC3339(toGoTime(h.created * 1000));
  return {
    ID: () => (trunc ? truncateId(h.id) : h.id),
    CreatedSince: () => (!human ? createdAt() : h.created <= EPOCH_2000 ? 'N/A' : `${humanDuration(now - h.created * 1000)} ago`),
    CreatedAt: createdAt,
    CreatedBy: () => {
      const text = h.createdBy.replaceAll('\t', ' ');
      return trunc ? ellipsis(text, 45) : text;
    },
    Size: () => (human ? humanSizeWithPrecision(h.size, 3) : String(h.size)),
    Comment: () => h.comment,
  };
}

export async function history(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const engine = await ctx.engine();
  const id = engine.images.resolve(args[0] as string);
  const human = options['human'] !== false;
  const rows = imageHistory(engine.images, id).map((h) => historyRow(h, !options['no-trunc'], human, Date.now()));
  const format = (options['format'] as string | undefined) ?? '';
  const quiet = Boolean(options['quiet']);
  ctx.write(renderList(rows, {
    format: quiet && (format === '' || format === 'table') ? '{{.ID}}' : format,
    defaultFormat: human ? HISTORY_TABLE : HISTORY_TABLE_NON_HUMAN,
    headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
    typeName: '*image.historyContext',
  }));
}

/**
 * The typed view docker/cli 28 executes inspect templates against first: Go field names
 * (`ID`, not `Id`) and nested structs. Its JSON is the daemon's JSON, key order kept.
 */
function typedImageInspect(raw: ImageInspect): GoStruct {
  const config = raw.Config;
  return goStruct({
    ID: raw.Id,
    RepoTags: raw.RepoTags,
    RepoDigests: raw.RepoDigests,
    Parent: raw.Parent,
    Comment: raw.Comment,
    Created: raw.Created ?? '',
    Container: '',
    ContainerConfig: null,
    DockerVersion: raw.DockerVersion,
    Author: raw.Author,
    Config: goStruct({
      User: config['User'] ?? '', ExposedPorts: config['ExposedPorts'] ?? null, Env: config['Env'] ?? null,
      Entrypoint: config['Entrypoint'] ?? null, Cmd: config['Cmd'] ?? null, Volumes: config['Volumes'] ?? null,
      WorkingDir: config['WorkingDir'] ?? '', Labels: config['Labels'] ?? null, StopSignal: config['StopSignal'] ?? '',
      ArgsEscaped: config['ArgsEscaped'] ?? false, Healthcheck: config['Healthcheck'] ?? null, OnBuild: config['OnBuild'] ?? null,
      Shell: config['Shell'] ?? null,
    }, 'v1.DockerOCIImageConfig', { marshalJSON: () => JSON.stringify(config) }),
    Architecture: raw.Architecture,
    Variant: raw.Variant ?? '',
    Os: raw.Os,
    OsVersion: raw.OsVersion ?? '',
    Size: raw.Size,
    VirtualSize: 0,
    GraphDriver: goStruct({ Data: raw.GraphDriver.Data, Name: raw.GraphDriver.Name }, 'storage.DriverData', { marshalJSON: () => JSON.stringify(raw.GraphDriver) }),
    RootFS: goStruct({ Type: raw.RootFS.Type, Layers: raw.RootFS.Layers ?? null }, 'image.RootFS', { marshalJSON: () => JSON.stringify(raw.RootFS) }),
    Metadata: goStruct({ LastTagTime: raw.Metadata.LastTagTime }, 'image.Metadata', { marshalJSON: () => JSON.stringify(raw.Metadata) }),
    Descriptor: null,
    Manifests: null,
  }, 'image.InspectResponse', { marshalJSON: () => JSON.stringify(raw) });
}

export async function imageInspect(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const engine = await ctx.engine();
  const values: unknown[] = [];
  const errors: StrataError[] = [];
  for (const ref of args) {
    try {
      const id = engine.images.resolve(ref);
      values.push(typedImageInspect(imageInspectJson(engine, id)));
    } catch (err) {
      if (!(err instanceof StrataError)) throw err;
      errors.push(err);
    }
  }
  return printInspect(ctx, values, options['format'] as string | undefined, errors);
}

/** `strata inspect`: any object by name or ID: a container, an image or a volume, in docker's order. */
export async function inspect(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const type = options['type'] as string | undefined;
  if (type !== undefined && type !== '' && type !== 'image') {
    if (!['container', 'volume', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'config'].includes(type)) {
      throw new StrataError('invalid-argument', `"${type}" is not a valid value for --type`);
    }
  }
  const engine = await ctx.engine();
  const values: unknown[] = [];
  const errors: StrataError[] = [];
  const any = type === undefined || type === '';
  // docker's autodetect order: container, image, volume.
  const containers = await engine.containers();
  const { containerInspectValue } = await import('./containers.ts');
  for (const ref of args) {
    const c = any || type === 'container' ? containers.lookup(ref) : undefined;
    if (c !== undefined) {
      values.push(await containerInspectValue(containers, c, Boolean(options['size'])));
      continue;
    }
    const id = any || type === 'image' ? engine.images.lookup(ref) : undefined;
    if (id !== undefined) {
      values.push(typedImageInspect(imageInspectJson(engine, id as Digest)));
      continue;
    }
    const volume = any || type === 'volume' ? containers.volumes.records.get(ref) : undefined;
    if (volume !== undefined) {
      values.push(containers.volumes.inspect(ref));
      continue;
    }
    errors.push(notFound(`No such object: ${ref}`));
  }
  return printInspect(ctx, values, options['format'] as string | undefined, errors);
}


export async function imageMount(ctx: CliContext, args: string[]): Promise<void> {
  const engine = await ctx.engine();
  const { mountImage } = await import('../../engine/index.ts');
  for (const ref of args) ctx.println(await mountImage(engine, engine.images.resolve(ref)));
}

export async function imageUnmount(ctx: CliContext, args: string[]): Promise<number> {
  const engine = await ctx.engine();
  const { unmountImage } = await import('../../engine/index.ts');
  for (const ref of args) {
    const id = engine.images.resolve(ref);
    unmountImage(engine, id);
    ctx.println(id);
  }
  return 0;
}
