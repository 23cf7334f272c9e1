/**
 * Images built in code for registry tests: layer tars (strata's tar writer), gzip or zstd
 * blobs, configs, manifests and indexes of both families, a docker-archive to `load`, and
 * a minimal distribution client (plain fetch, independent of strata's) that uploads them.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { TarWriter } from '../../src/internal/tar/index.ts';

export type Family = 'oci' | 'docker';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface TestLayer {
  tar: Buffer;
  diffId: string;
  blob: Buffer;
  digest: string;
  mediaType: string;
}

export interface TestImage {
  config: Buffer;
  configDigest: string;
  layers: TestLayer[];
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
}

/** A layer tar holding `files` (path → content), directories created as needed. */
export async function layerTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const writer = new TarWriter(out);
  const dirs = new Set<string>();
  for (const [name, content] of Object.entries(files)) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        await writer.add({ name: dir, type: 'directory', mode: 0o755, mtime: 0 });
      }
    }
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    await writer.add({ name, type: 'file', mode: 0o644, size: data.length, mtime: 0 }, data);
  }
  await writer.finish();
  out.end();
  return Buffer.concat(chunks);
}

export async function makeLayer(files: Record<string, string | Buffer>, options: { compression?: 'gzip' | 'zstd' | 'none'; family?: Family } = {}): Promise<TestLayer> {
  const tar = await layerTar(files);
  const compression = options.compression ?? 'gzip';
  let blob: Buffer;
  if (compression === 'gzip') blob = gzipSync(tar, { level: 6 });
  else if (compression === 'zstd') {
    const r = spawnSync('zstd', ['-c', '-q', '-3'], { input: tar, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
    blob = r.stdout;
  } else blob = tar;
  const family = options.family ?? 'oci';
  const mediaType = compression === 'zstd' ? MT.ociLayerZstd : compression === 'none' ? MT.ociLayer : family === 'docker' ? MT.dockerLayerGzip : MT.ociLayerGzip;
  return { tar, diffId: sha256(tar), blob, digest: sha256(blob), mediaType };
}

export function makeConfig(diffIds: string[], options: { os?: string; architecture?: string; variant?: string; cmd?: string[]; label?: string } = {}): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: options.architecture ?? 'amd64',
    os: options.os ?? 'linux',
    ...(options.variant ? { variant: options.variant } : {}),
    created: '2024-01-02T03:04:05Z',
    config: { Cmd: options.cmd ?? ['/bin/sh'], ...(options.label ? { Labels: { test: options.label } } : {}) },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-02T03:04:05Z', created_by: `layer ${i}` })),
  }));
}

export function makeImage(layers: TestLayer[], options: { family?: Family; config?: Parameters<typeof makeConfig>[1] } = {}): TestImage {
  const family = options.family ?? 'oci';
  const config = makeConfig(layers.map((l) => l.diffId), options.config);
  const mediaType = family === 'oci' ? MT.ociManifest : MT.dockerManifest;
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: family === 'oci' ? MT.ociConfig : MT.dockerConfig, digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
  }));
  return { config, configDigest: sha256(config), layers, manifest, manifestDigest: sha256(manifest), mediaType };
}

export function makeIndex(entries: { image: TestImage; platform: { os: string; architecture: string; variant?: string } }[], family: Family = 'oci'): { bytes: Buffer; digest: string; mediaType: string } {
  const mediaType = family === 'oci' ? MT.ociIndex : MT.dockerList;
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({ mediaType: e.image.mediaType, digest: e.image.manifestDigest, size: e.image.manifest.length, platform: e.platform })),
  }));
  return { bytes, digest: sha256(bytes), mediaType };
}

/** A docker-archive (as `docker save` writes it) holding the images, for `strata load`. */
export async function dockerArchive(images: { image: TestImage; tags: string[] }[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const writer = new TarWriter(out);
  const manifest: unknown[] = [];
  const written = new Set<string>();
  for (const { image, tags } of images) {
    const configName = `${image.configDigest.slice(7)}.json`;
    if (!written.has(configName)) {
      written.add(configName);
      await writer.add({ name: configName, type: 'file', mode: 0o644, size: image.config.length, mtime: 0 }, image.config);
    }
    const layerNames: string[] = [];
    for (const layer of image.layers) {
      const name = `${layer.diffId.slice(7)}/layer.tar`;
      layerNames.push(name);
      if (written.has(name)) continue;
      written.add(name);
      await writer.add({ name: `${layer.diffId.slice(7)}/`, type: 'directory', mode: 0o755, mtime: 0 });
      await writer.add({ name, type: 'file', mode: 0o644, size: layer.tar.length, mtime: 0 }, layer.tar);
    }
    manifest.push({ Config: configName, RepoTags: tags, Layers: layerNames });
  }
  const doc = Buffer.from(JSON.stringify(manifest));
  await writer.add({ name: 'manifest.json', type: 'file', mode: 0o644, size: doc.length, mtime: 0 }, doc);
  await writer.finish();
  out.end();
  return Buffer.concat(chunks);
}

/** A distribution client in a few lines of fetch, to put test content in a registry. */
export class RawRegistry {
  constructor(
    readonly baseUrl: string,
    private readonly authorization?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.authorization ? { authorization: this.authorization } : {}), ...extra };
  }

  async uploadBlob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const head = await fetch(`${this.baseUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: this.headers() });
    if (head.status === 200) return digest;
    const start = await fetch(`${this.baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: this.headers() });
    if (start.status !== 202) throw new Error(`upload start: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location') as string, this.baseUrl);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', headers: this.headers({ 'content-type': 'application/octet-stream' }), body: data });
    if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
    return digest;
  }

  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<void> {
    const res = await fetch(`${this.baseUrl}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: this.headers({ 'content-type': mediaType }), body: bytes });
    if (res.status !== 201) throw new Error(`manifest put: ${res.status} ${await res.text()}`);
  }

  async pushImage(repo: string, ref: string, image: TestImage): Promise<void> {
    for (const layer of image.layers) await this.uploadBlob(repo, layer.blob);
    await this.uploadBlob(repo, image.config);
    await this.putManifest(repo, ref, image.manifest, image.mediaType);
  }

  async getManifest(repo: string, ref: string): Promise<{ status: number; bytes: Buffer; mediaType: string | null; digest: string | null }> {
    const res = await fetch(`${this.baseUrl}/v2/${repo}/manifests/${ref}`, {
      headers: this.headers({ accept: [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ') }),
    });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), mediaType: res.headers.get('content-type'), digest: res.headers.get('docker-content-digest') };
  }
}
