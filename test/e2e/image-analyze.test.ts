// `image analyze` on images built here with known contents: every expected number below is
// computed by hand from the layers, not taken from a previous run.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { writeLayeredArchive, type LayerEntry } from '../helpers/layered-archive.ts';
import type { ImageAnalysis } from '../../src/insight/index.ts';

const body = (n: number, c: string): Buffer => Buffer.alloc(n, c);

/** Bottom layer (also the whole of test/base): an apt-lists tree, files later overwritten, removed or hidden. */
const L0: LayerEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/conf', type: 'file', body: body(100, 'a') },
  { name: 'big', type: 'file', body: body(1000, 'b') },
  { name: 'opt/', type: 'directory' },
  { name: 'opt/old/', type: 'directory' },
  { name: 'opt/old/x', type: 'file', body: body(200, 'c') },
  { name: 'opt/old/y', type: 'file', body: body(50, 'd') },
  { name: 'var/', type: 'directory' },
  { name: 'var/lib/', type: 'directory' },
  { name: 'var/lib/apt/', type: 'directory' },
  { name: 'var/lib/apt/lists/', type: 'directory' },
  { name: 'var/lib/apt/lists/partial/', type: 'directory' },
  { name: 'var/lib/apt/lists/lock', type: 'file' },
  { name: 'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', type: 'file', body: body(300, 'p') },
  { name: 'data/', type: 'directory' },
  { name: 'data/keep', type: 'file', body: body(40, 'k') },
  { name: 'data/gone', type: 'file', body: body(60, 'g') },
];
/** Overwrites etc/conf, removes a file and a directory, makes data/ opaque, copies the apt body elsewhere. */
const L1: LayerEntry[] = [
  { name: 'etc/conf', type: 'file', body: body(120, 'e') },
  { name: '.wh.big', type: 'file' },
  { name: 'opt/.wh.old', type: 'file' },
  { name: 'data/', type: 'directory' },
  { name: 'data/.wh..wh..opq', type: 'file' },
  { name: 'data/new', type: 'file', body: body(30, 'n') },
  { name: 'copy', type: 'file', body: body(300, 'p') },
];
/** The same body at two paths, and etc/conf overwritten again (the user's own waste). */
const L2: LayerEntry[] = [
  { name: 'dup/', type: 'directory' },
  { name: 'dup/a', type: 'file', body: body(70, 'z') },
  { name: 'dup/b', type: 'file', body: body(70, 'z') },
  { name: 'etc/conf', type: 'file', body: body(10, 'q') },
];
const HISTORY = [
  { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs.tar /' },
  { created: '2024-01-01T00:00:00Z', created_by: 'CMD ["sh"]', empty_layer: true },
  { created: '2024-01-02T00:00:00Z', created_by: 'RUN /bin/sh -c apt-get update && rm -rf /big /opt/old # buildkit' },
  { created: '2024-01-02T00:00:00Z', created_by: 'ENV A=2', empty_layer: true },
  { created: '2024-01-02T00:00:00Z', created_by: 'COPY . /dup # buildkit' },
];

function analyze(root: string, ref: string, extra: string[] = []): ImageAnalysis {
  return JSON.parse(strataOk(root, ['image', 'analyze', '--format', 'json', ...extra, ref])) as ImageAnalysis;
}

describe('image analyze', () => {
  const dir = tempDir();
  const root = join(dir, 'root');
  const app = join(dir, 'app.tar');
  const base = join(dir, 'base.tar');
  before(async () => {
    await writeLayeredArchive(base, [L0], 'test/base:1', {}, [HISTORY[0] as Record<string, unknown>]);
    await writeLayeredArchive(app, [L0, L1, L2], 'test/app:1', { Env: ['A=2'], Cmd: ['sh'] }, HISTORY);
    strataOk(root, ['load', '-i', base]);
    strataOk(root, ['load', '-i', app]);
  });

  test('wasted, visible, efficiency, duplicates and the base/user split are the hand-computed ones', () => {
    const a = analyze(root, 'test/app:1');
    // Stored: L0 100+1000+200+50+0+300+40+60 = 1750, L1 120+30+300 = 450, L2 70+70+10 = 150.
    assert.equal(a.totals.storedBytes, 2350);
    // Hidden: etc/conf 100 (overwritten), big 1000 (removed), opt/old 200+50 (removed dir),
    // data/keep+gone 100 (opaque dir) — all stored in L0; etc/conf 120 of L1 (overwritten by L2).
    assert.equal(a.totals.wastedBytes, 1570);
    // Visible: etc/conf 10, apt list 300, lock 0, data/new 30, copy 300, dup/a+b 140.
    assert.equal(a.totals.visibleBytes, 780);
    assert.equal(a.totals.visibleFiles, 7);
    assert.equal(a.totals.efficiency, 780 / 2350);
    // test/base:1 is L0 alone: the base, found in the store.
    assert.deepEqual(a.base, { layers: 1, source: 'parent-image', parent: 'test/base:1' });
    assert.equal(a.totals.baseWastedBytes, 1450);
    assert.equal(a.totals.userWastedBytes, 120);
    assert.equal(a.totals.userStoredBytes, 600);
    assert.equal(a.totals.userWastedPercent, 120 / 600);
    // The apt body at /copy, and dup/a = dup/b: 300 + 70 a dedup would save; the empty lock is no duplicate.
    assert.equal(a.totals.duplicateBytes, 370);
    assert.deepEqual(a.duplicates.map((d) => [d.size, d.copies.map((c) => `${c.layer}:${c.path}`)]), [
      [300, ['0:/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', '1:/copy']],
      [70, ['2:/dup/a', '2:/dup/b']],
    ]);
  });

  test('each layer: its instruction, added, modified, removed and wasted; metadata rows are 0 B', () => {
    const a = analyze(root, 'test/app:1');
    const [l0, l1, l2] = a.layers;
    assert.ok(l0 && l1 && l2);
    assert.equal(l1.instruction, HISTORY[2]?.created_by);
    assert.equal(l2.instruction, HISTORY[4]?.created_by);
    assert.deepEqual([l0.added, l0.modified, l0.removed, l0.wastedBytes, l0.base], [{ files: 8, bytes: 1750 }, { files: 0, bytes: 0 }, { files: 0, bytes: 0 }, 1450, true]);
    // L1: copy and data/new are new, etc/conf replaced; its whiteouts and opaque dir hid big, x, y, keep, gone.
    assert.deepEqual([l1.added, l1.modified, l1.removed, l1.wastedBytes, l1.base], [{ files: 2, bytes: 330 }, { files: 1, bytes: 120 }, { files: 5, bytes: 1350 }, 120, false]);
    assert.deepEqual([l2.added, l2.modified, l2.removed, l2.wastedBytes], [{ files: 2, bytes: 140 }, { files: 1, bytes: 10 }, { files: 0, bytes: 0 }, 0]);
    assert.deepEqual(l0.biggest.slice(0, 2), [{ path: '/big', size: 1000 }, { path: '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', size: 300 }]);
    assert.deepEqual(a.history.map((h) => [h.layer, h.size, h.emptyLayer]), [[0, 1750, false], [null, 0, true], [1, 450, false], [null, 0, true], [2, 150, false]]);
    const reasons = a.wasted.map((w) => `${w.path} ${w.size} ${w.reason} ${w.layer}->${w.byLayer}`).sort();
    assert.deepEqual(reasons, [
      '/big 1000 removed 0->1', '/data/gone 60 opaque 0->1', '/data/keep 40 opaque 0->1', '/etc/conf 100 overwritten 0->1',
      '/etc/conf 120 overwritten 1->2', '/opt/old/x 200 removed 0->1', '/opt/old/y 50 removed 0->1',
    ]);
  });

  test('hints: the apt lists and the files added then removed, each with its instruction', () => {
    const a = analyze(root, 'test/app:1');
    const hints = a.hints.map((h) => [h.kind, h.layer, h.files, h.bytes, h.instruction]);
    assert.deepEqual(hints, [
      ['apt-lists', 0, 1, 300, 'ADD rootfs.tar /'],
      ['added-then-removed', 0, 5, 1350, 'ADD rootfs.tar /'],
    ]);
  });

  test('the readable report shows the rows, metadata ones as 0B, and the totals', () => {
    const out = strataOk(root, ['image', 'analyze', 'test/app:1']);
    assert.match(out, /^-\s+0B\s+CMD \["sh"\]$/m);
    assert.match(out, /^Efficiency: {2}33\.19 %$/m);
    assert.match(out, /^Wasted: {6}1\.57kB \(1570 B\): base image 1\.45kB, yours 120B \(20\.00 % of the 600B your layers store\)$/m);
    assert.match(out, /apt-lists file\(s\), 300 B/);
  });

  test('--format takes a Go template', () => {
    assert.equal(strataOk(root, ['image', 'analyze', '--format', '{{.totals.wastedBytes}} {{len .layers}} {{.base.source}}', 'test/app:1']), '1570 3 parent-image\n');
  });

  test('docker-archive: and oci: inputs give the store image\'s numbers, without loading', () => {
    const saved = join(dir, 'saved.tar');
    strataOk(root, ['save', '-o', saved, 'test/app:1']);
    const layout = join(dir, 'layout');
    mkdirSync(layout);
    execFileSync('tar', ['-xf', saved, '-C', layout]);
    const before = readdirSync(join(root, 'content', 'blobs', 'sha256')).length;
    const store = analyze(root, 'test/app:1');
    for (const ref of [`docker-archive:${app}`, `docker-archive:${saved}`, `oci:${saved}`, `oci:${layout}`]) {
      const a = analyze(root, ref);
      assert.deepEqual(a.totals, store.totals, ref);
      assert.equal(a.image.id, store.image.id);
      assert.deepEqual(a.hints, store.hints);
    }
    assert.equal(readdirSync(join(root, 'content', 'blobs', 'sha256')).length, before);
  });

  test('--all counts what a file-level dedup of the whole store would save', () => {
    const a = analyze(root, 'test/app:1', ['--all']);
    // The store's layers (L0, L1, L2, each once): the same 300 and 70 byte bodies twice.
    assert.deepEqual(a.store && [a.store.layers, a.store.storedBytes, a.store.duplicateBytes], [3, 2350, 370]);
  });

  test('without a parent image in the store, the base ends at the last gap of more than 10 minutes in the history', () => {
    const empty = join(dir, 'empty-root');
    const a = analyze(empty, `docker-archive:${app}`);
    // ADD on 2024-01-01, then the user's rows a day later.
    assert.deepEqual(a.base, { layers: 1, source: 'history' });
    assert.equal(a.totals.userWastedBytes, 120);
  });

  test('a built image, whose layers have no blob: read from their snapshots', () => {
    const ctx = join(dir, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM test/app:1\nCOPY same /again\nENV B=1\nCOPY conf /etc/conf\n');
    writeFileSync(join(ctx, 'same'), body(70, 'z'));
    writeFileSync(join(ctx, 'conf'), body(5, 'w'));
    strataOk(root, ['build', '-q', '-t', 'test/built:1', ctx]);
    const a = analyze(root, 'test/built:1');
    // Two layers more: /again (70, a third copy of dup/a's body) and /etc/conf (5, hiding L2's 10).
    assert.deepEqual(a.base, { layers: 3, source: 'parent-image', parent: 'test/app:1' });
    assert.deepEqual([a.totals.storedBytes, a.totals.wastedBytes, a.totals.userWastedBytes, a.totals.userStoredBytes], [2425, 1580, 0, 75]);
    assert.equal(a.totals.baseWastedBytes, 1580);
    assert.equal(a.totals.duplicateBytes, 300 + 70 * 2);
    assert.deepEqual(a.history.slice(-3).map((h) => [h.createdBy, h.size]), [['COPY same /again # buildkit', 70], ['ENV B=1', 0], ['COPY conf /etc/conf # buildkit', 5]]);
  });

  test('an archive of several images: docker-archive:PATH:NAME:TAG picks one, else the error says so', () => {
    const two = join(dir, 'two.tar');
    strataOk(root, ['save', '-o', two, 'test/base:1', 'test/app:1']);
    const base = analyze(root, `docker-archive:${two}:test/base:1`);
    assert.deepEqual([base.totals.layers, base.totals.storedBytes], [1, 1750]);
    assert.equal(analyze(root, `docker-archive:${two}:test/app:1`).totals.wastedBytes, 1570);
    const several = strata(root, ['image', 'analyze', `docker-archive:${two}`]);
    assert.equal(several.status, 1);
    assert.match(several.stderr, /two\.tar: manifest\.json: it holds 2 images: name one \(docker-archive:PATH:NAME:TAG\)/);
    const missing = strata(root, ['image', 'analyze', `docker-archive:${two}:test/nosuch:1`]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /two\.tar: no image test\/nosuch:1 in the archive/);
  });
});
