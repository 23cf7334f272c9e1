// The deepest image strata makes is the deepest a container can run: overlayfs stacks at
// most 500 lower layers and a container adds its init layer, so an image has at most 499.
// Every command that makes an image (load, pull, build, commit) makes one of 499 layers,
// which runs, and refuses one of 500 with docker's "max depth exceeded" and the reason,
// leaving the store as it was. Images are many tiny layers, written in code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { tempDir } from '../helpers/temp-dir.ts';
import { busyboxLayer, tarOf, writeLayeredArchive, type LayerEntry } from '../helpers/layered-archive.ts';
import { strata, strataOk, removeAll } from './containers-fixture.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { makeImage, MT, RawRegistry, sha256, type TestLayer } from '../helpers/registry-images.ts';
import { Engine } from '../../src/engine/index.ts';
import { inTransaction } from '../../src/metadata/index.ts';
import { chainIds, type Digest } from '../../src/oci/index.ts';

const DEPTH_ERROR = /max depth exceeded: .*500 layers, over the 499 an image may have \(a container adds its init layer, and overlayfs stacks at most 500\)/;

/** busybox, then one tiny file per layer: `/f001` holds `1`, and so on. */
function deepLayers(count: number, withBusybox = true): LayerEntry[][] {
  const layers: LayerEntry[][] = withBusybox ? [busyboxLayer()] : [];
  for (let i = layers.length; i < count; i++) layers.push([{ name: `f${String(i).padStart(3, '0')}`, type: 'file', body: Buffer.from(`${i}\n`) }]);
  return layers;
}

/** What a refused command must leave as it was: records, snapshots, leases, blobs, scratch files. */
function storeState(root: string): Record<string, unknown> {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    const all = (sql: string): unknown[] => db.prepare(sql).all();
    return {
      images: all('SELECT id FROM images ORDER BY id'),
      tags: all('SELECT name, image_id FROM tags ORDER BY name'),
      layers: all('SELECT chain_id FROM layers ORDER BY chain_id'),
      snapshots: all('SELECT key FROM snapshots ORDER BY key'),
      leases: all('SELECT id FROM leases'),
      cache: all('SELECT COUNT(*) AS n FROM build_cache'),
      blobs: readdirSync(join(root, 'content', 'blobs', 'sha256')).sort(),
      tmp: readdirSync(join(root, 'tmp')).filter((n) => n !== 'fetch-locks').sort(),
    };
  } finally {
    db.close();
  }
}

function refused(root: string, args: string[], options: { env?: Record<string, string> } = {}): string {
  const before = storeState(root);
  const r = strata(root, args, options);
  assert.equal(r.status, 1, `strata ${args.join(' ')} should fail: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, DEPTH_ERROR);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'no internal error, no stack');
  assert.deepEqual(storeState(root), before, 'the store changed');
  return r.stderr;
}

// One store for load, commit and build: deep/image:498 and :499 loaded, :500 refused.
const dir = tempDir();
const root = join(tempDir(), 'store');
test.after(() => removeAll(root));
for (const n of [498, 499, 500]) await writeLayeredArchive(join(dir, `${n}.tar`), deepLayers(n), `deep/image:${n}`, { Cmd: ['/bin/sh'] });

test('load: a 499-layer image loads, mounts and runs; a 500-layer one is refused and changes nothing', { timeout: 300_000 }, () => {
  strataOk(root, ['load', '-i', join(dir, '498.tar')]);
  strataOk(root, ['load', '-i', join(dir, '499.tar')]);
  assert.equal(strataOk(root, ['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'deep/image:499']), '499\n');
  assert.equal(strataOk(root, ['run', '--rm', 'deep/image:499', 'cat', '/f498']), '498\n', 'the container sees the top layer');
  assert.equal(strataOk(root, ['run', '--rm', 'deep/image:499', 'sh', '-c', 'ls / | grep -c "^f"']), '498\n');
  const path = strataOk(root, ['image', 'mount', 'deep/image:499']).trim();
  try {
    assert.equal(execFileSync('chroot', [path, '/bin/ls', '/'], { encoding: 'utf8' }).split('\n').filter(Boolean).length, 499, 'bin plus 498 files');
    assert.equal(execFileSync('chroot', [path, '/bin/cat', '/f001'], { encoding: 'utf8' }), '1\n');
  } finally {
    strataOk(root, ['image', 'unmount', 'deep/image:499']);
  }
  const err = refused(root, ['load', '-i', join(dir, '500.tar')]);
  assert.match(err, /500\.tar: max depth exceeded: image deep\/image:500 has 500 layers/);
});

test('commit: a container of a 498-layer image commits a 499-layer image that runs; one of a 499-layer image is refused', { timeout: 300_000 }, () => {
  strataOk(root, ['run', '--name', 'c498', 'deep/image:498', 'sh', '-c', 'echo committed > /new']);
  strataOk(root, ['commit', 'c498', 'deep/commit:499']);
  assert.equal(strataOk(root, ['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'deep/commit:499']), '499\n');
  assert.equal(strataOk(root, ['run', '--rm', 'deep/commit:499', 'cat', '/new', '/f497']), 'committed\n497\n');

  strataOk(root, ['run', '--name', 'c499', 'deep/image:499', 'sh', '-c', 'echo committed > /new']);
  const err = refused(root, ['commit', 'c499', 'deep/commit:500']);
  assert.match(err, /max depth exceeded: the image committed from container [0-9a-f]{12} would have 500 layers/);
  // The container is untouched: its change is still there to see.
  assert.equal(strataOk(root, ['diff', 'c499']), 'A /new\n');
});

test('build: a step that makes layer 499 builds an image that runs; one that would make layer 500 fails at that step', { timeout: 300_000 }, () => {
  const ctx = tempDir();
  writeFileSync(join(ctx, 'f'), 'copied\n');
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM deep/image:498\nRUN echo built > /built\nCMD ["cat", "/built"]\n');
  strataOk(root, ['build', '-q', '-t', 'deep/build:499', ctx]);
  assert.equal(strataOk(root, ['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'deep/build:499']), '499\n');
  assert.equal(strataOk(root, ['run', '--rm', 'deep/build:499']), 'built\n');

  writeFileSync(join(ctx, 'Dockerfile'), 'FROM deep/image:499\nENV A=b\nCOPY f /f\nCMD ["cat", "/f"]\n');
  const err = refused(root, ['build', '--progress=plain', '-t', 'deep/build:500', ctx]);
  assert.match(err, /> \[2\/2\] COPY f \/f:/, 'the failing step is named');
  assert.match(err, /Dockerfile:3\n-+\n(.*\n)* {3}3 \| >>> COPY f \/f\n/, 'and its line shown');
  assert.match(err, /ERROR: failed to solve: max depth exceeded: COPY f \/f would give the image 500 layers/);
});

test('a 500-layer image stored by an earlier strata is refused clearly by run, and still removable', { timeout: 300_000 }, async () => {
  // Records written as an older strata wrote them, without today's check: deep/image:499 plus one layer.
  const engine = Engine.open({ root });
  try {
    const top = await tarOf([{ name: 'f499', type: 'file', body: Buffer.from('499\n') }]);
    const base = engine.images.config(engine.images.lookup('deep/image:499') as Digest);
    const diffIds = [...base.rootfs.diff_ids, sha256(top) as Digest];
    const config = Buffer.from(JSON.stringify({ ...base, rootfs: { type: 'layers', diff_ids: diffIds }, history: [...(base.history ?? []), { created_by: 'layer 499' }] }));
    const chains = chainIds(diffIds);
    const layer = engine.content.writeBytes(top);
    const id = engine.content.writeBytes(config).digest;
    inTransaction(engine.db, () => {
      engine.images.layers.insert({ chainId: chains[499] as string, diffId: diffIds[499] as string, parent: chains[498] as string, size: 4, tarSize: top.length, createdAt: Date.now() });
      engine.images.layers.addBlob({ diffId: diffIds[499] as string, digest: layer.digest, mediaType: MT.ociLayer, size: top.length });
      engine.images.records.insert({ id, configSize: config.length, created: null, parent: '', manifestDigest: null, manifestMediaType: null, manifestSize: null, size: 0, addedAt: Date.now(), labels: '{}' }, chains);
      engine.images.records.tag('docker.io/deep/legacy:500', id, Date.now(), new Date().toISOString());
    });
  } finally {
    engine.close();
  }
  const before = storeState(root);
  const r = strata(root, ['run', '--rm', 'deep/legacy:500', 'true']);
  assert.equal(r.status, 125, r.stderr);
  assert.match(r.stderr, /max depth exceeded: image deep\/legacy:500 has 500 layers, over the 499 an image may have/);
  assert.deepEqual(storeState(root), before, 'no container, snapshot or layer was made');
  strataOk(root, ['rmi', 'deep/legacy:500']);
});

test('pull: a 500-layer image is refused before any of it is fetched; a 499-layer one is pulled and runs', { timeout: 300_000 }, async () => {
  const registry = await startRegistry();
  const raw = new RawRegistry(registry.url);
  const layers: TestLayer[] = [];
  for (const entries of deepLayers(500)) {
    const tar = await tarOf(entries);
    layers.push({ tar, diffId: sha256(tar), blob: tar, digest: sha256(tar), mediaType: MT.ociLayer });
  }
  // Ten uploads at a time (one by one, the registry takes 20 s for these 500 blobs).
  for (let i = 0; i < layers.length; i += 10) await Promise.all(layers.slice(i, i + 10).map((l) => raw.uploadBlob('deep/pulled', l.blob)));
  await raw.pushImage('deep/pulled', '500', makeImage(layers));
  await raw.pushImage('deep/pulled', '499', makeImage(layers.slice(0, 499)));
  const host = registry.host;
  const store = join(tempDir(), 'store');
  strataOk(store, ['images']);
  const err = refused(store, ['pull', `${host}/deep/pulled:500`]);
  assert.match(err, new RegExp(`max depth exceeded: image ${host.replace(/[.]/g, '\\.')}/deep/pulled:500 has 500 layers`));
  strataOk(store, ['pull', '-q', `${host}/deep/pulled:499`]);
  assert.equal(strataOk(store, ['run', '--rm', `${host}/deep/pulled:499`, 'cat', '/f498']), '498\n');
  removeAll(store);
});

test('native driver: the same limit (the store\'s images must run with either driver)', { timeout: 300_000 }, async () => {
  const store = join(tempDir(), 'store');
  const env = { STRATA_STORAGE_DRIVER: 'native' };
  await writeLayeredArchive(join(dir, 'native-500.tar'), deepLayers(500, false), 'deep/native:500');
  strataOk(store, ['images']);
  const err = refused(store, ['load', '-i', join(dir, 'native-500.tar')], { env });
  assert.match(err, /max depth exceeded: image deep\/native:500 has 500 layers/);
});
