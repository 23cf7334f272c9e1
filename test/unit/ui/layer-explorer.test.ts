// The explorer's layers on a real store: a loaded image whose top layer deletes a file, makes
// a directory opaque and hardlinks a file. Read from the overlay snapshot (the fast way) it
// must say exactly what the layer's tar says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Engine } from '../../../src/engine/index.ts';
import type { Digest } from '../../../src/oci/index.ts';
import { insightOf } from '../../../src/ui/insight-views.ts';
import { LayerExplorer } from '../../../src/ui/layer-explorer.ts';
import { applyLayer, indexLayer, listDirectory, readLayerEntries, withHidden, type VisibleTree } from '../../../src/ui/layer-tree.ts';
import { listSnapshotLayer } from '../../../src/ui/snapshot-listing.ts';
import { writeLayeredArchive } from '../../helpers/layered-archive.ts';
import { strataOk } from '../../helpers/strata-cli.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const body = (text: string): Buffer => Buffer.from(text);

test('a layer read from its snapshot marks what its tar marks: whiteouts, opaque dirs, hardlinks', async () => {
  const root = tempDir('strata-ui-explorer-');
  const archive = join(tempDir(), 'image.tar');
  await writeLayeredArchive(archive, [
    [
      { name: 'etc/', type: 'directory' }, { name: 'etc/passwd', type: 'file', body: body('root\n') }, { name: 'etc/gone', type: 'file', body: body('bye\n') },
      { name: 'var/', type: 'directory' }, { name: 'var/cache/', type: 'directory' }, { name: 'var/cache/a', type: 'file', body: body('aaaa') },
      { name: 'var/cache/b', type: 'file', body: body('bb') },
    ],
    [
      { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.gone', type: 'file' }, { name: 'etc/passwd', type: 'file', body: body('root:x\n') },
      { name: 'var/', type: 'directory' }, { name: 'var/cache/', type: 'directory' }, { name: 'var/cache/.wh..wh..opq', type: 'file' },
      { name: 'var/cache/b', type: 'file', body: body('new b') }, { name: 'var/cache/b2', type: 'hardlink', linkname: 'var/cache/b' },
    ],
  ], 'explore/me:1');
  strataOk(root, ['load', '-i', archive]);
  const engine = Engine.open({ root });
  try {
    const id = engine.images.resolve('explore/me:1');
    const [lower, upper] = engine.images.records.chainIds(id);
    assert.ok(lower !== undefined && upper !== undefined);
    const layerOf = (chainId: string): { chainId: Digest; diffId: Digest } => {
      const row = engine.images.layers.get(chainId);
      assert.ok(row);
      return { chainId: chainId as Digest, diffId: row.diffId as Digest };
    };
    const fromTar = async (chainId: string) => readLayerEntries(await engine.layerTar(layerOf(chainId)));
    const below: VisibleTree = new Map();
    applyLayer(below, await fromTar(lower));
    const tarIndex = indexLayer(await fromTar(upper), below);

    const snapshot = engine.snapshotter.stat(upper);
    assert.ok(snapshot && engine.snapshotter.stacksLayers, 'the overlay driver keeps each layer\'s own files');
    const snapshotIndex = indexLayer(listSnapshotLayer(engine.snapshotter.fsDir(snapshot)), below);
    const marks = (index: typeof tarIndex): Record<string, string> =>
      Object.fromEntries([...index.nodes.values()].map((n) => [n.path, `${n.mark} ${n.type} ${n.size}`]));
    assert.deepEqual(marks(snapshotIndex), marks(tarIndex));
    assert.deepEqual(marks(tarIndex), {
      '/etc': 'C directory 7', '/etc/gone': 'D file 0', '/etc/passwd': 'C file 7',
      '/var': 'C directory 5', '/var/cache': 'C directory 5', '/var/cache/a': 'D file 0', '/var/cache/b': 'C file 5', '/var/cache/b2': 'A hardlink 0',
    });

    const explorer = new LayerExplorer(engine, insightOf(engine));
    const index = await explorer.index(upper);
    assert.deepEqual(listDirectory(index, '/var/cache').map((n) => `${n.mark} ${n.name}`), ['D a', 'C b', 'A b2']);
    await assert.rejects(explorer.index('sha256:0000'), /layer sha256:0000 not found/);

    // Seen from the image, the lower layer's copies the upper layer replaced are hidden.
    const hidden = await explorer.hiddenPaths(id, lower);
    assert.deepEqual([...hidden].sort(), ['/etc/gone', '/etc/passwd', '/var/cache/a', '/var/cache/b']);
    const lowerIndex = await explorer.index(lower);
    const marked = withHidden(listDirectory(lowerIndex, '/var/cache'), hidden);
    assert.deepEqual(marked.map((n) => `${n.name} ${n.hidden}`), ['a true', 'b true']);
    assert.equal((await explorer.hiddenPaths(id, upper)).size, 0, 'nothing is above the top layer');
    await assert.rejects(explorer.hiddenPaths(id, 'sha256:0000'), /layer sha256:0000 is not a layer of image/);
  } finally {
    engine.close();
  }
});
