// Push details through the API against docker-registry: the manifest a pulled image came
// with goes out unchanged (mounted across repositories), chunked uploads, the gzip blob
// kept or not (and then made again with the same digest), and an upload retried after the
// connection drops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tempDir } from '../helpers/temp-dir.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { startProxy } from '../helpers/registry-proxy.ts';
import { dockerArchive, makeImage, makeLayer, RawRegistry, type TestImage } from '../helpers/registry-images.ts';
import { ArchiveLoader } from '../../src/archive/index.ts';
import { Engine, checkStore } from '../../src/engine/index.ts';
import { loadRegistrySettings, pullImage, pushImage, Registries, type ProgressEvent } from '../../src/registry/index.ts';
import type { Digest } from '../../src/oci/index.ts';

const registry = await startRegistry();
const proxy = await startProxy(registry.host);
const raw = new RawRegistry(registry.url);

function registries(): Registries {
  const r = new Registries({ settings: loadRegistrySettings({}, []), retry: { attempts: 4, baseDelayMs: 50, maxDelayMs: 200 } });
  after(() => r.close());
  return r;
}

function engine(): Engine {
  const e = Engine.open({ root: tempDir() });
  after(() => e.close());
  return e;
}

async function load(e: Engine, image: TestImage, tag: string): Promise<void> {
  await new ArchiveLoader(e.images, e.content, e.gc).load({ source: Readable.from([await dockerArchive([{ image, tags: [tag] }])]), sourceName: 'test' });
}

function actions(events: ProgressEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'progress' && e.current === undefined ? [`${e.id}: ${e.action}`] : e.type === 'message' ? [e.text] : []));
}

test('a pulled image goes out with the manifest it came with, its blobs mounted from the repository it came from', async () => {
  const image = makeImage([await makeLayer({ 'one.txt': '1' }), await makeLayer({ 'two.txt': '2' })]);
  await raw.pushImage('push/origin', '1', image);
  const e = engine();
  const regs = registries();
  await pullImage(e, `${registry.host}/push/origin:1`, { registries: regs });
  e.images.tag({ domain: registry.host, path: 'push/copy', tag: '1' }, image.configDigest as Digest);
  const events: ProgressEvent[] = [];
  const result = await pushImage(e, `${registry.host}/push/copy:1`, { registries: regs, onProgress: (ev) => events.push(ev) });
  assert.equal(result.tags[0]?.digest, image.manifestDigest, 'the OCI manifest is pushed unchanged');
  assert.equal(result.tags[0]?.mediaType, image.mediaType);
  assert.deepEqual(result.uploaded, [], 'no blob travelled');
  assert.equal(result.mounted.length, 3, 'two layers and the config');
  const lines = actions(events);
  for (const l of image.layers) assert.ok(lines.includes(`${l.diffId.slice(7, 19)}: Mounted from push/origin`), lines.join('\n'));
  assert.equal(lines.at(-1), `1: digest: ${image.manifestDigest} size: ${image.manifest.length}`);
  assert.deepEqual(e.images.repoDigests(image.configDigest).sort(), [`${registry.host}/push/copy@${image.manifestDigest}`, `${registry.host}/push/origin@${image.manifestDigest}`]);
});

test('chunked uploads send Content-Range PATCHes and give the same digests as one PUT', async () => {
  const image = makeImage([await makeLayer({ 'big.bin': randomBytes(700_000) })]);
  await raw.pushImage('push/chunked', '1', image);
  const e = engine();
  await pullImage(e, `${registry.host}/push/chunked:1`, { registries: registries() });
  // Another registry: nothing to mount from there, so the blobs travel, in 64 KiB chunks.
  const other = await startRegistry();
  const front = await startProxy(other.host);
  e.images.tag({ domain: front.host, path: 'push/chunked', tag: '1' }, image.configDigest as Digest);
  const result = await pushImage(e, `${front.host}/push/chunked:1`, { registries: registries(), chunkSize: 64 * 1024 });
  assert.equal(result.tags[0]?.digest, image.manifestDigest);
  const layer = image.layers[0];
  assert.ok(layer);
  assert.ok(front.count('PATCH', /\/blobs\/uploads\//) >= Math.ceil(layer.blob.length / 65536), 'one PATCH per chunk');
  const copy = await new RawRegistry(other.url).getManifest('push/chunked', '1');
  assert.equal(copy.digest, image.manifestDigest);
});

test('the gzip made for a push is kept (or only recorded), and is the same wherever and whenever it is made', async () => {
  const image = makeImage([await makeLayer({ 'text.txt': 'lorem ipsum dolor sit amet '.repeat(200_000) }, { compression: 'none' })]);
  const diffId = image.layers[0]?.diffId as string;
  const kept = engine();
  await load(kept, image, `${registry.host}/push/det-a:1`);
  const first = await pushImage(kept, `${registry.host}/push/det-a:1`, { registries: registries() });
  const gzip = kept.images.layers.blobsOf(diffId).find((b) => b.mediaType.endsWith('gzip'));
  assert.ok(gzip && kept.content.has(gzip.digest as Digest), 'the gzip blob is kept in the content store');
  assert.equal(kept.images.get(image.configDigest)?.manifestDigest, first.tags[0]?.digest, 'and the pushed manifest, complete here, is the image\'s now');
  assert.ok(JSON.parse(readFileSync(join(kept.content.root, 'index.json'), 'utf8')).manifests.some((m: { digest: string }) => m.digest === first.tags[0]?.digest));

  const recorded = engine();
  await load(recorded, image, `${registry.host}/push/det-b:1`);
  const second = await pushImage(recorded, `${registry.host}/push/det-b:1`, { registries: registries(), keepCompressed: false });
  assert.equal(second.tags[0]?.digest, first.tags[0]?.digest, 'another store compresses to the same bytes');
  assert.equal(recorded.content.has(gzip.digest as Digest), false);
  assert.ok(recorded.images.layers.blobsOf(diffId).some((b) => b.digest === gzip.digest), 'the digest is recorded without the bytes');
  await checkStore(kept).then((r) => assert.deepEqual(r.problems, []));
});

test('an upload whose connection drops is retried from the start', async () => {
  const image = makeImage([await makeLayer({ 'r.bin': Buffer.alloc(300_000, 9) }, { compression: 'none' })]);
  const e = engine();
  await load(e, image, `${proxy.host}/push/retry:1`);
  let dropped = 0;
  proxy.interceptor = (req) => (req.method === 'PATCH' && dropped++ === 0 ? { status: 0 } : undefined);
  after(() => {
    proxy.interceptor = undefined;
  });
  const events: ProgressEvent[] = [];
  const result = await pushImage(e, `${proxy.host}/push/retry:1`, { registries: registries(), onProgress: (ev) => events.push(ev) });
  assert.equal(dropped, 2);
  assert.ok(actions(events).some((l) => /: Retrying in \d+ seconds?$/.test(l)));
  const remote = await raw.getManifest('push/retry', '1');
  assert.equal(remote.digest, result.tags[0]?.digest);
});
