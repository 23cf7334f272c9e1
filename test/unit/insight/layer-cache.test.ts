// Layer scans are cached by diff_id: an image sharing an analysed base reads only its own
// layers, a second run reads none (counted where layers are opened), a damaged cache file
// is read again, and the garbage collection drops the scans of layers that went.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../../src/engine/index.ts';
import { Insight, layerCacheDir, LayerScanCache, type LayerEntry as ScanEntry } from '../../../src/insight/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { strataOk } from '../../helpers/strata-cli.ts';
import { writeLayeredArchive, type LayerEntry } from '../../helpers/layered-archive.ts';

const LAYERS: LayerEntry[][] = [
  [{ name: 'etc/', type: 'directory' }, { name: 'etc/a', type: 'file', body: Buffer.alloc(700, 'a') }],
  [{ name: 'etc/a', type: 'file', body: Buffer.alloc(70, 'b') }],
  [{ name: 'etc/.wh.a', type: 'file' }, { name: 'c', type: 'file', body: Buffer.alloc(7, 'c') }],
];

describe('layer scan cache', () => {
  const dir = tempDir();
  const root = join(dir, 'root');
  let engine: Engine;
  let diffIds: string[] = [];
  const reads: string[] = [];
  const counting = (): Insight => new Insight({
    images: engine.images,
    cacheDir: layerCacheDir(root),
    layerTar: (layer) => {
      reads.push(layer.diffId);
      return engine.layerTar(layer);
    },
  });
  const cached = (): string[] => (existsSync(layerCacheDir(root)) ? readdirSync(layerCacheDir(root)).sort() : []);
  const fileOf = (diffId: string): string => `${diffId.slice(7)}.scan`;

  before(async () => {
    await writeLayeredArchive(join(dir, 'base.tar'), LAYERS.slice(0, 1), 'cache/base:1');
    diffIds = await writeLayeredArchive(join(dir, 'app.tar'), LAYERS, 'cache/app:1');
    strataOk(root, ['load', '-i', join(dir, 'base.tar')]);
    strataOk(root, ['load', '-i', join(dir, 'app.tar')]);
    engine = Engine.open({ root });
  });
  after(() => engine.close());

  test('an image sharing an analysed base reads only its own layers; a second run reads none', async () => {
    await counting().analyzeImage('cache/base:1');
    assert.deepEqual(reads.splice(0), [diffIds[0]]);
    const first = await counting().analyzeImage('cache/app:1');
    assert.deepEqual(reads.splice(0), [diffIds[1], diffIds[2]]);
    assert.deepEqual(cached(), diffIds.map(fileOf).sort());
    const second = await counting().analyzeImage('cache/app:1');
    assert.deepEqual(reads.splice(0), []);
    assert.deepEqual(second, first);
    // 700 + 70 + 7 stored; 700 overwritten, 70 removed.
    assert.deepEqual([first.totals.storedBytes, first.totals.wastedBytes], [777, 770]);
  });

  test('a damaged or foreign cache file is not trusted: the layer is read again and the file rewritten', async () => {
    const good = await counting().analyzeImage('cache/app:1');
    reads.splice(0);
    // Layer 1's file cut short; layer 2's claiming to be layer 0's scan.
    const one = join(layerCacheDir(root), fileOf(diffIds[1] as string));
    writeFileSync(one, readFileSync(one).subarray(0, -3));
    const zero = readFileSync(join(layerCacheDir(root), fileOf(diffIds[0] as string)), 'utf8');
    writeFileSync(join(layerCacheDir(root), fileOf(diffIds[2] as string)), zero);
    reads.splice(0);
    assert.deepEqual(await counting().analyzeImage('cache/app:1'), good);
    assert.deepEqual(reads.splice(0), [diffIds[1], diffIds[2]]);
    await counting().analyzeImage('cache/app:1');
    assert.deepEqual(reads.splice(0), []);
  });

  test('a scan file of the older text format, or with columns no scan has, is read again, never trusted', async () => {
    const good = await counting().analyzeImage('cache/base:1');
    reads.splice(0);
    const file = join(layerCacheDir(root), fileOf(diffIds[0] as string));
    const current = readFileSync(file);
    // Version 3 wrote a line per entry; this one claims a 999-byte etc/a.
    const header = JSON.stringify({ version: 3, diffId: diffIds[0], tarBytes: 3072, entries: 2 });
    writeFileSync(file, `${header}\nd 0 - etc\nf 999 ${'a'.repeat(64)} etc/a\n`);
    assert.deepEqual(await counting().analyzeImage('cache/base:1'), good);
    assert.deepEqual(reads.splice(0), [diffIds[0]]);
    assert.deepEqual(readFileSync(file), current);
    // Same length, but a kind byte no scan writes (the kinds column follows the sizes and the two offset columns).
    const damaged = Buffer.from(current);
    const kindsAt = damaged.indexOf(0x0a) + 1 + 2 * 8 + 2 * 3 * 4;
    damaged[kindsAt] = 200;
    writeFileSync(file, damaged);
    assert.deepEqual(await counting().analyzeImage('cache/base:1'), good);
    assert.deepEqual(reads.splice(0), [diffIds[0]]);
  });

  test('rmi drops the scans of the layers it removed, keeps those still used, and temporary files a killed writer left', () => {
    // One left an hour and more ago by a killed writer, one a writer may be finishing now.
    const stale = `.${fileOf(diffIds[0] as string)}.0123456789ab.tmp`;
    const fresh = `.${fileOf(diffIds[1] as string)}.ba9876543210.tmp`;
    writeFileSync(join(layerCacheDir(root), stale), 'x');
    writeFileSync(join(layerCacheDir(root), fresh), 'x');
    const longAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(join(layerCacheDir(root), stale), longAgo, longAgo);
    strataOk(root, ['rmi', 'cache/app:1']);
    assert.deepEqual(cached(), [fresh, fileOf(diffIds[0] as string)].sort());
    rmSync(join(layerCacheDir(root), fresh));
    strataOk(root, ['rmi', 'cache/base:1']);
    assert.deepEqual(cached(), []);
  });

  test('names with newlines, backslashes, spaces and non-ASCII come back as they were', () => {
    const cache = new LayerScanCache(join(dir, 'names'));
    const diffId = `sha256:${'e'.repeat(64)}`;
    const entries: ScanEntry[] = [
      { path: 'a\nb\\n c', kind: 'file', size: 3, sha256: 'f'.repeat(64) },
      { path: 'dir with space/ünï', kind: 'dir', size: 0, sha256: '' },
      { path: 'x\\', kind: 'whiteout', size: 0, sha256: '' },
      { path: '', kind: 'opaque', size: 0, sha256: '' },
      { path: 'tab\there', kind: 'hardlink', size: 0, sha256: '', link: 'a\nb\\n c' },
      { path: 'usr/bin/perl', kind: 'hardlink', size: 0, sha256: '', link: 'usr/bin/perl5.36' },
    ];
    cache.put({ diffId, tarBytes: 4096, entries });
    assert.deepEqual(cache.get(diffId), { diffId, tarBytes: 4096, entries });
    assert.equal(cache.get(`sha256:${'d'.repeat(64)}`), undefined);
  });
});
