// unpack/ on a real store: it takes the stores it works on (content, layer records, snapshots),
// never the engine. Blobs of each compression give back the tar they hold, a layer with no
// blob is regenerated from its snapshot, a stored image's layers are extracted on demand, and
// the pull's sink commits a layer's snapshot as its bytes arrive (or, aborted, leaves none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Engine } from '../../../src/engine/index.ts';
import { importTarball } from '../../../src/archive/index.ts';
import { chainIds, parseReference, type Digest } from '../../../src/oci/index.ts';
import { ensureExtracted, layerTar, snapshotLayerSink } from '../../../src/unpack/index.ts';
import { makeLayer, layerTar as tarOf } from '../../helpers/registry-images.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The files of a tar, as GNU tar extracts them: path → content. */
function filesOf(tar: Buffer): Record<string, string> {
  const dir = tempDir();
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  const listing = execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
  return Object.fromEntries(listing.map((p) => [p.slice(2), readFileSync(join(dir, p), 'utf8')]));
}

for (const compression of ['none', 'gzip', 'zstd'] as const) {
  test(`layerTar gives back the tar a ${compression} blob holds`, async () => {
    const engine = Engine.open({ root: tempDir() });
    const layer = await makeLayer({ 'etc/app.conf': 'port=80\n', 'bin/tool': 'x'.repeat(70_000) }, { compression });
    engine.content.writeBytes(layer.blob, { digest: layer.digest as Digest });
    engine.images.layers.addBlob({ diffId: layer.diffId, digest: layer.digest, mediaType: layer.mediaType, size: layer.blob.length });
    const stores = { content: engine.content, layers: engine.images.layers, snapshotter: engine.snapshotter };
    assert.deepEqual(await readAll(await layerTar(stores, { diffId: layer.diffId as Digest })), layer.tar);
    engine.close();
  });
}

test('a layer no blob holds is regenerated from its snapshot; with neither, layerTar says so', async () => {
  const engine = Engine.open({ root: tempDir() });
  const tar = await tarOf({ 'srv/index.html': '<h1>hi</h1>\n', 'srv/data/x.txt': 'x\n' });
  const chainId = chainIds([`sha256:${'0'.repeat(64)}` as Digest])[0] as Digest;
  const sink = snapshotLayerSink(engine.snapshotter)({ chainId });
  await sink.write(tar);
  const measure = await sink.end();
  const stores = { content: engine.content, layers: engine.images.layers, snapshotter: engine.snapshotter };
  const regenerated = await readAll(await layerTar(stores, { diffId: measure.diffId, chainId }));
  assert.deepEqual(filesOf(regenerated), { 'srv/data/x.txt': 'x\n', 'srv/index.html': '<h1>hi</h1>\n' });
  await assert.rejects(layerTar(stores, { diffId: `sha256:${'1'.repeat(64)}` as Digest }), { code: 'data-loss', message: /no stored blob or snapshot holds it/ });
  engine.close();
});

test('the pull sink commits a snapshot with the layer\'s files as its bytes arrive, and measures it', async () => {
  const engine = Engine.open({ root: tempDir() });
  const layer = await makeLayer({ 'usr/share/doc/readme': 'read me\n' }, { compression: 'none' });
  const chainId = chainIds([layer.diffId as Digest])[0] as Digest;
  const sink = snapshotLayerSink(engine.snapshotter)({ chainId });
  for (let at = 0; at < layer.tar.length; at += 1000) await sink.write(layer.tar.subarray(at, at + 1000));
  const measure = await sink.end();
  assert.equal(measure.diffId, layer.diffId);
  assert.equal(measure.tarSize, layer.tar.length);
  const row = engine.snapshotter.stat(chainId);
  assert.equal(row?.kind, 'committed');
  assert.equal(readFileSync(join(engine.snapshotter.fsDir(row), 'usr/share/doc/readme'), 'utf8'), 'read me\n');
  engine.close();
});

test('a layer aborted before its extraction reads a byte leaves no snapshot, and throws nothing later', async () => {
  const engine = Engine.open({ root: tempDir() });
  const before = engine.snapshotter.records.all(engine.snapshotter.driver).map((r) => r.key);
  const layer = await makeLayer({ 'half.txt': 'y'.repeat(50_000) }, { compression: 'none' });
  const sink = snapshotLayerSink(engine.snapshotter)({ chainId: chainIds([layer.diffId as Digest])[0] as Digest });
  // A blob that fails to verify (or a sibling layer that fails) aborts the sink at once.
  await sink.write(layer.tar.subarray(0, 20_000));
  await sink.abort(new Error('the blob did not verify'));
  assert.deepEqual(engine.snapshotter.records.all(engine.snapshotter.driver).map((r) => r.key), before);
  engine.close();
});

test('ensureExtracted unpacks the layers of an image stored without its snapshots, bottom first', async () => {
  const root = tempDir();
  const engine = Engine.open({ root });
  const rootfs = join(tempDir(), 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc', 'os-release'), 'ID=unpack-test\n');
  const tar = execFileSync('tar', ['-c', '-C', rootfs, '.']);
  // No unpacker given: the image is recorded with its blob only, as older stores kept them.
  const id = await importTarball(engine.images, engine.content, engine.gc, { source: Readable.from([tar]), sourceName: 'test', tag: parseReference('unpack/test:1') });
  const chains = chainIds(engine.images.config(id).rootfs.diff_ids);
  assert.equal(engine.snapshotter.stat(chains[0] as Digest), undefined, 'import without an unpacker extracted the layer');
  const stores = { snapshotter: engine.snapshotter, content: engine.content, images: engine.images };
  assert.deepEqual(await ensureExtracted(stores, id), chains);
  const row = engine.snapshotter.stat(chains[0] as Digest);
  assert.ok(row);
  assert.equal(readFileSync(join(engine.snapshotter.fsDir(row), 'etc', 'os-release'), 'utf8'), 'ID=unpack-test\n');
  engine.close();
});
