import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reachable } from '../../../src/gc/index.ts';

test('images keep their config, manifest, layer stack and the stack\'s blobs', () => {
  const live = reachable({
    images: [{ id: 'img1', manifestDigest: 'man1', chainIds: ['c1', 'c2'] }],
    layers: [
      { chainId: 'c1', diffId: 'd1', parent: null },
      { chainId: 'c2', diffId: 'd2', parent: 'c1' },
      { chainId: 'c3', diffId: 'd3', parent: 'c2' },
      { chainId: 'x1', diffId: 'dx', parent: null },
    ],
    layerBlobs: [{ diffId: 'd1', digest: 'b1' }, { diffId: 'd2', digest: 'b2' }, { diffId: 'd3', digest: 'b3' }, { diffId: 'dx', digest: 'bx' }],
    leasedBlobs: ['leased'],
    leasedLayers: [],
  });
  assert.deepEqual([...live.layers].sort(), ['c1', 'c2']);
  assert.deepEqual([...live.blobs].sort(), ['b1', 'b2', 'img1', 'leased', 'man1']);
});

test('a leased or container-held stack keeps its parents', () => {
  const live = reachable({
    images: [],
    layers: [{ chainId: 'c1', diffId: 'd1', parent: null }, { chainId: 'c2', diffId: 'd2', parent: 'c1' }],
    layerBlobs: [],
    leasedBlobs: [],
    leasedLayers: [],
    extraLayerRoots: ['c2'],
  });
  assert.deepEqual([...live.layers].sort(), ['c1', 'c2']);
});
