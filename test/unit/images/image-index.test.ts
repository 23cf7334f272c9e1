// content/index.json follows the records (docs/DURABILITY.md): it is rewritten once the
// transaction that changed them has committed — a crash in between leaves it behind, never
// ahead naming images a rollback removed — and a rewrite that fails then (a full disk)
// leaves the committed change alone and is done again by `restoreIndex`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { ContentStore } from '../../../src/content/index.ts';
import { ImageStore, type NewImage } from '../../../src/images/index.ts';
import { openDatabase } from '../../../src/metadata/index.ts';
import { MediaType, parseReference, type Digest } from '../../../src/oci/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const sha256 = (data: Buffer): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A one-layer image with its layer blob stored and a manifest, so index.json lists it. */
function image(content: ContentStore, name: string): NewImage {
  const layer = Buffer.alloc(1024, name);
  const blob = content.writeBytes(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [blob.digest] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
    layers: [{ mediaType: MediaType.ociLayer, digest: blob.digest, size: layer.length }],
  }));
  return {
    config, manifest: { bytes: manifest, mediaType: MediaType.ociManifest }, tags: [parseReference(name)],
    layers: [{ diffId: blob.digest, size: layer.length, tarSize: layer.length, blob: { digest: blob.digest, mediaType: MediaType.ociLayer, size: layer.length } }],
  };
}

function listed(root: string): string[] {
  const index = JSON.parse(readFileSync(join(root, 'content', 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  return index.manifests.map((m) => m.annotations?.['io.containerd.image.name'] ?? '');
}

function open(): { root: string; db: ReturnType<typeof openDatabase>; content: ContentStore; images: ImageStore } {
  const root = tempDir();
  const db = openDatabase(join(root, 'metadata.db'));
  const content = new ContentStore(join(root, 'content'));
  return { root, db, content, images: new ImageStore(db, content) };
}

test('index.json is rewritten once the records committed, by create, tag and a batch alike', () => {
  const { root, db, content, images } = open();
  // Another connection sees only what committed, as another strata process would.
  const reader = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  const seen: number[] = [];
  const writeIndex = content.writeIndex.bind(content);
  content.writeIndex = (manifests) => {
    seen.push((reader.prepare('SELECT COUNT(*) AS n FROM tags').get() as { n: number }).n);
    writeIndex(manifests);
  };
  try {
    const one = images.create(image(content, 'one:1'));
    images.tag(parseReference('other:1'), one.id);
    images.batch(() => images.create(image(content, 'two:1')));
    // The tags each rewrite lists had all committed when it was written.
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(listed(root), ['docker.io/library/one:1', 'docker.io/library/other:1', 'docker.io/library/two:1']);
  } finally {
    reader.close();
    db.close();
  }
});

test('a transaction that rolls back leaves index.json as it was', () => {
  const { root, db, content, images } = open();
  try {
    images.create(image(content, 'one:1'));
    const before = readFileSync(join(root, 'content', 'index.json'), 'utf8');
    assert.throws(() => images.batch(() => {
      images.create(image(content, 'two:1'));
      throw new Error('the load failed after recording two');
    }), /the load failed/);
    assert.equal(readFileSync(join(root, 'content', 'index.json'), 'utf8'), before);
  } finally {
    db.close();
  }
});

test('a rewrite that fails after the commit keeps the image; restoreIndex writes it later', () => {
  const { root, db, content, images } = open();
  const index = join(root, 'content', 'index.json');
  try {
    // A directory where index.json goes: renaming the new file over it fails, as a full disk would fail it.
    rmSync(index);
    mkdirSync(join(index, 'in-the-way'), { recursive: true });
    const created = images.create(image(content, 'one:1'));
    assert.ok(images.get(created.id), 'the image is recorded');
    rmSync(index, { recursive: true });
    writeFileSync(index, '{"schemaVersion":2,"manifests":[]}');
    images.restoreIndex();
    assert.deepEqual(listed(root), ['docker.io/library/one:1']);
  } finally {
    db.close();
  }
});
