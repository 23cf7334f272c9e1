// `system check` on a real store: a layer record must have its files somewhere, in a snapshot
// or in a blob to extract them from (a prune racing a build once left records without either).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStore, Engine } from '../../../src/engine/index.ts';
import { temporaryKey } from '../../../src/snapshots/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('system check reports a layer record whose files neither a snapshot nor a blob holds', async () => {
  const engine = Engine.open({ root: tempDir() });
  const layer = { parent: null, size: 0, tarSize: 1024, createdAt: Date.now() };
  const extracted = `sha256:${'d'.repeat(64)}`;
  const key = temporaryKey('extract');
  engine.snapshotter.prepare(key);
  engine.snapshotter.commit(extracted, key);
  engine.images.layers.insert({ chainId: extracted, diffId: extracted, ...layer });
  assert.deepEqual((await checkStore(engine)).problems, []);
  const lost = `sha256:${'e'.repeat(64)}`;
  engine.images.layers.insert({ chainId: lost, diffId: lost, ...layer });
  assert.deepEqual((await checkStore(engine)).problems, [`layer ${lost}: neither a snapshot nor a stored blob holds its files`]);
  engine.close();
});
