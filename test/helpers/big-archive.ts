/**
 * Writes a docker-archive holding one image whose single layer is a tar with one file of
 * `size` zero bytes, streaming (never holding the layer in memory). Used by crash-safety
 * tests and benchmarks that need a large archive.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { TarWriter } from '../../src/internal/tar/index.ts';

async function* layerTar(size: number): AsyncGenerator<Buffer> {
  const out = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  const writer = new TarWriter(out);
  const chunk = Buffer.alloc(1024 * 1024);
  const done = (async () => {
    await writer.writeHeader({ name: 'big.bin', type: 'file', mode: 0o644, size, mtime: 0 });
    for (let left = size; left > 0; left -= chunk.length) await writer.writeData(left >= chunk.length ? chunk : chunk.subarray(0, left));
    await writer.finish();
  })();
  for await (const c of out) yield c as Buffer;
  await done;
}

export async function writeBigArchive(path: string, size: number, tag = 'big/image:1'): Promise<{ diffId: string; layerSize: number }> {
  const hash = createHash('sha256');
  let layerSize = 0;
  for await (const c of layerTar(size)) {
    hash.update(c);
    layerSize += c.length;
  }
  const diffId = `sha256:${hash.digest('hex')}`;
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: {},
    rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2024-01-01T00:00:00Z', created_by: 'big file' }],
  }));
  const configHex = createHash('sha256').update(config).digest('hex');
  const file = createWriteStream(path);
  const outer = new TarWriter(file);
  await outer.add({ name: `${configHex}.json`, type: 'file', mode: 0o644, size: config.length }, config);
  await outer.writeHeader({ name: 'layer0/layer.tar', type: 'file', mode: 0o644, size: layerSize });
  for await (const c of layerTar(size)) await outer.writeData(c);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [tag], Layers: ['layer0/layer.tar'] }]));
  await outer.add({ name: 'manifest.json', type: 'file', mode: 0o644, size: manifest.length }, manifest);
  await outer.finish();
  file.end();
  await finished(file);
  return { diffId, layerSize };
}
