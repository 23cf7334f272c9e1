import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../helpers/temp-dir.ts';
import { layerTar } from '../../helpers/registry-images.ts';
import { LayerMeter } from '../../../src/archive/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { LayerDecoder } from '../../../src/registry/layer-decoder.ts';
import { measuringSink } from '../../../src/registry/layer-sink.ts';
import { withFetchLock } from '../../../src/registry/fetch-lock.ts';
import { selectPlatformManifest } from '../../../src/registry/pull.ts';
import type { Descriptor, Digest, ImageIndex } from '../../../src/oci/index.ts';

const sink = (): ReturnType<typeof measuringSink> => measuringSink({ index: 0, diffId: 'sha256:x' as Digest, chainId: 'sha256:x' as Digest, descriptor: { mediaType: '', digest: 'sha256:x' as Digest, size: 0 } });

async function decode(blob: Buffer, chunk = 7): Promise<ReturnType<LayerMeter['end']>> {
  const decoder = new LayerDecoder(sink(), 'layer test');
  for (let off = 0; off < blob.length; off += chunk) await decoder.write(blob.subarray(off, off + chunk));
  return decoder.end();
}

test('the decoder measures plain, gzip and zstd layers the same, however the bytes arrive', async () => {
  const tar = await layerTar({ 'a/b.txt': 'hello\n', 'c.bin': Buffer.alloc(70_000, 7) });
  const meter = new LayerMeter();
  meter.write(tar);
  const want = meter.end();
  const zstd = spawnSync('zstd', ['-c', '-q'], { input: tar }).stdout;
  for (const [name, blob] of [['plain', tar], ['gzip', gzipSync(tar)], ['zstd', zstd]] as const) {
    assert.deepEqual(await decode(blob), want, name);
    assert.deepEqual(await decode(blob, 65536), want, `${name} in big chunks`);
  }
});

test('corrupt gzip is invalid-argument, xz is unimplemented, and a tiny blob still ends cleanly', async () => {
  const tar = await layerTar({ 'x.txt': 'x'.repeat(5000) });
  const gz = gzipSync(tar);
  const at = Math.floor(gz.length / 2);
  gz[at] = (gz[at] as number) ^ 0xff;
  await assert.rejects(decode(gz), (e: unknown) => isStrataError(e, 'invalid-argument') && /layer test: compressed data is corrupt/.test((e as Error).message));
  const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]);
  await assert.rejects(decode(xz), (e: unknown) => isStrataError(e, 'unimplemented'));
  await assert.rejects(decode(Buffer.from('abc')), /tar|archive|truncated|end/i, 'three bytes are not a tar');
});

test('the fetch lock makes a second fetcher wait and then find the blob stored; a dead holder\'s lock is taken over', async () => {
  const dir = tempDir();
  const digest = `sha256:${'a'.repeat(64)}` as Digest;
  let stored = false;
  let fetches = 0;
  let waited = false;
  // The first fetch holds the lock until the second fetcher says it waits (10 s at most: a
  // second fetcher that never waits fails the test, it does not hang it).
  let secondWaits!: () => void;
  const waiting = new Promise<void>((resolve) => (secondWaits = resolve));
  const fetch = async (): Promise<void> => {
    fetches++;
    await Promise.race([waiting, new Promise((r) => setTimeout(r, 10_000))]);
    stored = true;
  };
  const [first, second] = await Promise.all([
    withFetchLock(dir, digest, fetch, { stored: () => stored, pollMs: 10 }),
    withFetchLock(dir, digest, fetch, { stored: () => stored, pollMs: 10, onWait: () => { waited = true; secondWaits(); } }),
  ]);
  assert.deepEqual([first, second, fetches, waited], [true, false, 1, true]);
  // A lock left by a process that no longer exists does not block anyone.
  writeFileSync(join(dir, `${'b'.repeat(64)}.lock`), '999999999');
  let ran = false;
  assert.equal(await withFetchLock(dir, `sha256:${'b'.repeat(64)}` as Digest, async () => { ran = true; }, { stored: () => false, pollMs: 10 }), true);
  assert.ok(ran);
});

test('platform selection prefers the exact variant, skips attestations, and takes a lone unlabelled manifest', () => {
  const d = (n: number, platform?: Descriptor['platform']): Descriptor => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(n).repeat(64)}` as Digest, size: 1, ...(platform ? { platform } : {}) });
  const index: ImageIndex = {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [d(1, { os: 'linux', architecture: 'arm', variant: 'v6' }), d(2, { os: 'linux', architecture: 'arm', variant: 'v7' }), d(3, { os: 'linux', architecture: 'amd64' }), d(4, { os: 'unknown', architecture: 'unknown' })],
  };
  assert.equal(selectPlatformManifest(index, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d(2).digest);
  assert.equal(selectPlatformManifest(index, { os: 'linux', architecture: 'amd64' })?.digest, d(3).digest);
  assert.equal(selectPlatformManifest(index, { os: 'linux', architecture: 's390x' }), undefined);
  assert.equal(selectPlatformManifest({ ...index, manifests: [d(5)] }, { os: 'linux', architecture: 'amd64' })?.digest, d(5).digest);
});
