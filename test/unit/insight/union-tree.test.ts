// The union tree (src/insight/file-tree.ts) where its table of (parent, name) is stressed: one
// name at every depth of a deep path, and thousands of siblings removed, replaced and added
// again (slots freed and refilled), checked through the analysis and the layer view.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { analyzeLayers, layerView, type LayerEntry, type LayerScan } from '../../../src/insight/index.ts';

let n = 0;
function scan(entries: [string, LayerEntry['kind'], number?][]): LayerScan {
  return {
    diffId: `sha256:${String(++n).padStart(64, 'e')}`,
    tarBytes: 0,
    entries: entries.map(([path, kind, size = 0]) => ({ path, kind, size, sha256: kind === 'file' ? `h-${n}-${path}` : '' })),
  };
}

function analyze(scans: LayerScan[]): ReturnType<typeof analyzeLayers> {
  return analyzeLayers({ image: { ref: 'x', id: 'sha256:x', source: 'store' }, base: { layers: 0, source: 'none' }, scans, history: [] });
}

/** `a/a/…/a`, `depth` times. */
function deep(depth: number): string {
  return Array.from({ length: depth }, () => 'a').join('/');
}

describe('the union tree', () => {
  test('one name at every depth of a 200-deep path: each level is its own node', () => {
    const DEPTH = 200;
    // A directory `a` at each depth and, in each, a file `x` of the depth's size (no
    // directory entries: every `a` is made by the path of the file below it).
    const lower = scan(Array.from({ length: DEPTH }, (_, i) => [`${deep(i + 1)}/x`, 'file', i + 1] as [string, LayerEntry['kind'], number]));
    // Removes depth 101 and all below; replaces the file at depth 50.
    const upper = scan([[deep(101), 'whiteout'], [`${deep(50)}/x`, 'file', 1000]]);
    const a = analyze([lower, upper]);
    const removed = Array.from({ length: DEPTH - 100 }, (_, i) => i + 101);
    assert.equal(a.totals.visibleFiles, 100);
    assert.equal(a.totals.visibleBytes, 100 * 101 / 2 - 50 + 1000);
    assert.equal(a.totals.wastedBytes, removed.reduce((s, d) => s + d, 0) + 50);
    assert.deepEqual(a.wasted.slice(0, 2).map((w) => [w.path, w.size, w.reason]), [[`/${deep(200)}/x`, 200, 'removed'], [`/${deep(199)}/x`, 199, 'removed']]);
    assert.deepEqual(a.wasted.find((w) => w.reason === 'overwritten'), { path: `/${deep(50)}/x`, layer: 0, size: 50, reason: 'overwritten', byLayer: 1 });
    assert.deepEqual(a.layers[1]?.removed, { files: 100, bytes: removed.reduce((s, d) => s + d, 0) });
    // The view of the upper layer finds both paths at their depth, not at another level.
    assert.deepEqual(layerView([lower, upper], 1).map((f) => `${f.change} ${f.path.split('/').length - 1}`), ['D 101', 'C 51']);
  });

  test('5,000 siblings removed, replaced and added again: every path is found where it is', () => {
    const FILES = 5000;
    const name = (i: number): string => `d/f${i}`;
    const lower = scan([['d', 'dir'], ...Array.from({ length: FILES }, (_, i) => [name(i), 'file', 1] as [string, LayerEntry['kind'], number])]);
    const middle: [string, LayerEntry['kind'], number?][] = [];
    for (let i = 0; i < FILES; i++) {
      if (i % 3 === 0) middle.push([name(i), 'whiteout']);
      else if (i % 5 === 0) middle.push([name(i), 'file', 2]);
    }
    // Every sixth file comes back (removed above, as i % 3 === 0), and one more name is new.
    const top = scan([...Array.from({ length: FILES }, (_, i) => i).filter((i) => i % 6 === 0).map((i) => [name(i), 'file', 4] as [string, LayerEntry['kind'], number]), ['d/new', 'file', 4]]);
    const scans = [lower, scan(middle), top];
    const a = analyze(scans);
    let visibleBytes = 0;
    let visibleFiles = 0;
    for (let i = 0; i < FILES; i++) {
      const size = i % 6 === 0 ? 4 : i % 3 === 0 ? 0 : i % 5 === 0 ? 2 : 1;
      if (size > 0) visibleFiles++;
      visibleBytes += size;
    }
    assert.deepEqual([a.totals.visibleFiles, a.totals.visibleBytes], [visibleFiles + 1, visibleBytes + 4]);
    const removedCount = Math.ceil(FILES / 3);
    const replacedCount = Array.from({ length: FILES }, (_, i) => i).filter((i) => i % 3 !== 0 && i % 5 === 0).length;
    assert.deepEqual(a.layers[1]?.removed, { files: removedCount, bytes: removedCount });
    assert.deepEqual([a.layers[1]?.modified.files, a.layers[2]?.added.files, a.layers[2]?.modified.files], [replacedCount, Math.ceil(FILES / 6) + 1, 0]);
    // The top layer's view: each re-added file is new again (A), none is found as still there.
    const view = layerView(scans, 2);
    assert.equal(view.filter((f) => f.change === 'A').length, Math.ceil(FILES / 6) + 1);
    const middleView = layerView(scans, 1);
    assert.deepEqual([middleView.filter((f) => f.change === 'D').length, middleView.filter((f) => f.change === 'C').length], [removedCount, replacedCount]);
  });
});
