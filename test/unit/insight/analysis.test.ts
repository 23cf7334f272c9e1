// The analysis on layer scans written out by hand: union rules (whiteouts, opaque
// directories, a file replaced by a directory), the numbers they give, the layer view, and
// the .dive-ci reader.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { analyzeLayers, layerView, parseByteSize, parseDiveCi, type LayerEntry, type LayerScan } from '../../../src/insight/index.ts';

let n = 0;
function scan(entries: [string, LayerEntry['kind'], number?, string?][]): LayerScan {
  return {
    diffId: `sha256:${String(++n).padStart(64, '0')}`,
    tarBytes: 0,
    entries: entries.map(([path, kind, size = 0, sha = '']) => ({ path, kind, size, sha256: sha || (kind === 'file' ? `h-${path}-${size}` : '') })),
  };
}

function analyze(scans: LayerScan[]): ReturnType<typeof analyzeLayers> {
  return analyzeLayers({ image: { ref: 'x', id: 'sha256:x', source: 'store' }, base: { layers: 0, source: 'none' }, scans, history: [] });
}

describe('analysis of hand-written layers', () => {
  test('an opaque directory hides the lower layers only, not what its own layer put there before it', () => {
    const a = analyze([
      scan([['d', 'dir'], ['d/low', 'file', 10], ['d/sub', 'dir'], ['d/sub/deep', 'file', 5]]),
      scan([['d/mine', 'file', 3], ['d', 'opaque'], ['d/after', 'file', 4]]),
    ]);
    assert.deepEqual(a.wasted.map((w) => [w.path, w.reason]), [['/d/low', 'opaque'], ['/d/sub/deep', 'opaque']]);
    assert.deepEqual([a.totals.visibleBytes, a.totals.wastedBytes, a.totals.visibleFiles], [7, 15, 2]);
    assert.deepEqual(a.layers[1]?.removed, { files: 2, bytes: 15 });
  });

  test('a file replaced by a directory, and a directory by a file, hide everything that was there', () => {
    const a = analyze([
      scan([['p', 'file', 8], ['q', 'dir'], ['q/one', 'file', 2], ['q/two', 'symlink']]),
      scan([['p', 'dir'], ['p/in', 'file', 1], ['q', 'file', 6]]),
    ]);
    assert.deepEqual(a.wasted.map((w) => [w.path, w.size, w.reason]).sort(), [['/p', 8, 'overwritten'], ['/q/one', 2, 'overwritten'], ['/q/two', 0, 'overwritten']]);
    assert.equal(a.totals.efficiency, 7 / 17);
    // Replaced paths are modifications of layer 1: q (a directory before) and p's children are new.
    assert.deepEqual([a.layers[1]?.added, a.layers[1]?.modified], [{ files: 1, bytes: 1 }, { files: 1, bytes: 6 }]);
  });

  test('a whiteout of a missing path and the same path twice in one layer', () => {
    const a = analyze([scan([['a', 'file', 5], ['a', 'file', 7], ['nothing', 'whiteout']])]);
    assert.deepEqual([a.totals.storedBytes, a.totals.visibleBytes, a.totals.wastedBytes], [12, 7, 5]);
    assert.equal(a.hints.length, 0);
  });

  test('hints: pip, npm and apk caches and .git, each in the layer that stores it', () => {
    const a = analyze([
      scan([['root/.cache/pip/http/ab', 'file', 9], ['var/cache/apk/APKINDEX.tar.gz', 'file', 4]]),
      scan([['app/.git/objects/aa', 'file', 3], ['root/.npm/_cacache/index', 'file', 2], ['app/git/keep', 'file', 1]]),
    ]);
    assert.deepEqual(a.hints.map((h) => [h.kind, h.layer, h.files, h.bytes]), [['apk-cache', 0, 1, 4], ['pip-cache', 0, 1, 9], ['npm-cache', 1, 1, 2], ['git', 1, 1, 3]]);
  });

  test('a hardlink keeps its target\'s body visible when the target is removed; removing both wastes it', () => {
    const link = (path: string, target: string): LayerEntry => ({ path, kind: 'hardlink', size: 0, sha256: '', link: target });
    const stack = (lower: LayerEntry[], upper: [string, LayerEntry['kind'], number?][]): LayerScan[] => {
      const base = scan([]);
      base.entries = lower;
      return [base, scan(upper)];
    };
    const a: LayerEntry = { path: 'a', kind: 'file', size: 100, sha256: 'h-a' };
    const inDir: LayerEntry[] = [{ path: 'd', kind: 'dir', size: 0, sha256: '' }, { path: 'd/a', kind: 'file', size: 100, sha256: 'h-a' }, link('d/b', 'd/a')];
    const cases: [string, LayerScan[], number, number][] = [
      ['target removed, link stays', stack([a, link('b', 'a')], [['a', 'whiteout']]), 100, 0],
      ['target, then the link that got the body, removed: the other link has it', stack([a, link('b', 'a'), link('c', 'a')], [['a', 'whiteout'], ['b', 'whiteout']]), 100, 0],
      ['link removed, target stays', stack([a, link('b', 'a')], [['b', 'whiteout']]), 100, 0],
      ['both removed with their directory', stack(inDir, [['d', 'whiteout']]), 0, 100],
      ['target overwritten, link stays', stack([a, link('b', 'a')], [['a', 'file', 7]]), 107, 0],
      ['target hidden by an opaque directory, link elsewhere stays', stack([{ path: 'd', kind: 'dir', size: 0, sha256: '' }, { path: 'd/a', kind: 'file', size: 100, sha256: 'h-a' }, link('b', 'd/a')], [['d', 'opaque']]), 100, 0],
    ];
    for (const [name, scans, visible, wasted] of cases) {
      const r = analyze(scans);
      assert.deepEqual([r.totals.visibleBytes, r.totals.wastedBytes, r.totals.storedBytes], [visible, wasted, visible + wasted], name);
    }
  });

  test('bodies of 2^45 bytes and layers past the 1,024th count as any other (the tree keeps them as objects, not packed)', () => {
    const huge = 2 ** 45;
    const big = analyze([scan([['a', 'file', huge], ['b', 'file', huge + 2]]), scan([['a', 'file', 1], ['b', 'whiteout']])]);
    assert.deepEqual([big.totals.storedBytes, big.totals.visibleBytes, big.totals.wastedBytes], [2 * huge + 3, 1, 2 * huge + 2]);
    assert.deepEqual(big.wasted.map((w) => [w.path, w.size, w.layer, w.byLayer]), [['/b', huge + 2, 0, 1], ['/a', huge, 0, 1]]);
    // 1,100 layers, each overwriting /f with one byte more: only the last copy is visible.
    const many = analyze(Array.from({ length: 1100 }, (_, i) => scan([['f', 'file', i + 1]])));
    assert.deepEqual([many.totals.visibleBytes, many.totals.visibleFiles, many.wasted.length], [1100, 1, 1099]);
    assert.deepEqual(many.wasted[0], { path: '/f', layer: 1098, size: 1099, reason: 'overwritten', byLayer: 1099 });
    assert.equal(many.layers[1099]?.visibleBytes, 1100);
  });

  test('the layer view: A/C/D per entry and what the final image no longer sees', () => {
    const scans = [
      scan([['etc', 'dir'], ['etc/a', 'file', 1], ['etc/b', 'file', 2]]),
      scan([['etc/a', 'file', 3], ['etc/b', 'whiteout'], ['new', 'file', 4]]),
      scan([['new', 'file', 5]]),
    ];
    assert.deepEqual(layerView(scans, 1).map((f) => `${f.change} ${f.path}${f.hidden ? ' hidden' : ''}`), ['C /etc/a', 'D /etc/b', 'A /new hidden']);
    assert.deepEqual(layerView(scans, 0).map((f) => `${f.change} ${f.path}${f.hidden ? ' hidden' : ''}`), ['A /etc', 'A /etc/a hidden', 'A /etc/b hidden']);
  });
});

describe('.dive-ci and sizes', () => {
  test("dive's file: comments, quotes, disabled; other top-level keys are ignored", () => {
    assert.deepEqual(parseDiveCi('plugins: []\nrules:\n  lowestEfficiency: 0.95 # strict\n  highestWastedBytes: \'20MB\'\n  highestUserWastedPercent: disabled\n', 'f'),
      { lowestEfficiency: 0.95, highestWastedBytes: 20_000_000, highestUserWastedPercent: 'disabled' });
    assert.deepEqual(parseDiveCi('', 'f'), {});
  });

  test("sizes as go-humanize reads them", () => {
    assert.deepEqual(['5000', '20MB', '20 mb', '1.5GiB', '2K', '1,000kB', 'x', '-1', '5 parsecs'].map(parseByteSize),
      [5000, 20_000_000, 20_000_000, 1.5 * 1024 ** 3, 2000, 1_000_000, undefined, undefined, undefined]);
  });

  test('a malformed file is refused naming the line', () => {
    assert.throws(() => parseDiveCi('rules:\n\tlowestEfficiency: 1\n', '.dive-ci'), /\.dive-ci:2: a tab in the indentation/);
    assert.throws(() => parseDiveCi('rules: {lowestEfficiency: 1}\n', '.dive-ci'), /\.dive-ci:1: "rules:" must be followed by indented rules/);
    assert.throws(() => parseDiveCi('rules:\n  lowestEfficiency: 1.5\n', '.dive-ci'), /\.dive-ci:2: invalid lowestEfficiency "1\.5": efficiency is a ratio/);
    assert.throws(() => parseDiveCi('rules:\n  lowestEfficiency:\n', '.dive-ci'), /\.dive-ci:2: rule lowestEfficiency has no value/);
  });
});
