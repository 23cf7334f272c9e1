// The image store refuses an image too deep for a container to run, whoever makes it, and
// writes nothing for it (the commands that make images check earlier, with their own words).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ContentStore } from '../../../src/content/index.ts';
import { ImageStore, MAX_IMAGE_LAYERS, type NewLayer } from '../../../src/images/index.ts';
import { openDatabase } from '../../../src/metadata/index.ts';
import { OVERLAY_MAX_LOWER } from '../../../src/mount/index.ts';
import { parseReference, type Digest } from '../../../src/oci/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

function image(depth: number): { config: Buffer; layers: NewLayer[]; tags: ReturnType<typeof parseReference>[] } {
  const layers: NewLayer[] = Array.from({ length: depth }, (_, i) => ({
    diffId: `sha256:${createHash('sha256').update(`layer ${i}`).digest('hex')}` as Digest, size: 1, tarSize: 1024,
  }));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  }));
  return { config, layers, tags: [parseReference(`deep:${depth}`)] };
}

test(`ImageStore.create stores an image of ${MAX_IMAGE_LAYERS} layers and refuses one more, writing nothing`, () => {
  const root = tempDir();
  const db = openDatabase(join(root, 'metadata.db'));
  try {
    const content = new ContentStore(join(root, 'content'));
    const images = new ImageStore(db, content);
    const created = images.create(image(MAX_IMAGE_LAYERS));
    assert.equal(images.records.chainIds(created.id).length, MAX_IMAGE_LAYERS);

    const before = JSON.stringify({ blobs: [...content.list()].map((b) => b.digest).sort(), images: images.records.all(), layers: images.layers.all().length });
    assert.throws(() => images.create(image(MAX_IMAGE_LAYERS + 1)), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'invalid-argument');
      assert.equal(err.message, `max depth exceeded: the image has ${MAX_IMAGE_LAYERS + 1} layers, over the ${MAX_IMAGE_LAYERS} an image may have (a container adds its init layer, and overlayfs stacks at most ${OVERLAY_MAX_LOWER})`);
      return true;
    });
    const after = JSON.stringify({ blobs: [...content.list()].map((b) => b.digest).sort(), images: images.records.all(), layers: images.layers.all().length });
    assert.equal(after, before, 'nothing written for the refused image');
    assert.equal(images.lookup('deep:500'), undefined);
  } finally {
    db.close();
  }
});
