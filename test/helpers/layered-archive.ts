/**
 * Writes a docker-archive of one image from layers described as data: each layer is a list
 * of entries (files, directories, symlinks, whiteouts). Small layers only: they are built
 * in memory.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { TarWriter, type TarHeaderInit } from '../../src/internal/tar/index.ts';

export type LayerEntry = TarHeaderInit & { body?: Buffer };

export async function tarOf(entries: LayerEntry[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = new TarWriter(out);
  for (const { body, ...h } of entries) await w.add({ mode: h.type === 'directory' ? 0o755 : 0o644, mtime: 0, ...h, ...(body ? { size: body.length } : {}) }, body);
  await w.finish();
  return Buffer.concat(chunks);
}

/** A layer with busybox at /bin/busybox and a shell at /bin/sh, to run commands in a mounted image. */
export function busyboxLayer(): LayerEntry[] {
  return [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', type: 'file', mode: 0o755, body: readFileSync('/bin/busybox') },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'bin/ls', type: 'symlink', linkname: 'busybox' },
    { name: 'bin/cat', type: 'symlink', linkname: 'busybox' },
  ];
}

/** `history` replaces the default one row per layer (`layer N`), e.g. to add metadata-only rows. */
export async function writeLayeredArchive(
  path: string, layers: LayerEntry[][], tag: string, config: Record<string, unknown> = {}, history?: Record<string, unknown>[],
): Promise<string[]> {
  const tars = await Promise.all(layers.map((l) => tarOf(l)));
  const diffIds = tars.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`);
  const configBytes = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: history ?? diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
  }));
  const configHex = createHash('sha256').update(configBytes).digest('hex');
  const file = createWriteStream(path);
  const outer = new TarWriter(file);
  await outer.add({ name: `blobs/sha256/${configHex}`, type: 'file', mode: 0o644, size: configBytes.length }, configBytes);
  for (const [i, t] of tars.entries()) {
    await outer.add({ name: `blobs/sha256/${(diffIds[i] as string).slice(7)}`, type: 'file', mode: 0o644, size: t.length }, t);
  }
  const manifest = Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${configHex}`, RepoTags: [tag], Layers: diffIds.map((d) => `blobs/sha256/${d.slice(7)}`) }]));
  await outer.add({ name: 'manifest.json', type: 'file', mode: 0o644, size: manifest.length }, manifest);
  await outer.finish();
  file.end();
  await finished(file);
  return diffIds;
}
