// The layer table: each case is applied with both whiteout modes and compared with what GNU
// tar plus plain-directory operations give; then diff(apply(layer)) must give the layer back
// (the same diff_id) and docker's size must match a directory walk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { diffDirectories, diffOverlayUpper } from '../../../src/diff/index.ts';
import { apply, collect, directorySize, gnuExtract, layerTar, referenceApply, run, sha256, snapshot, tempDir } from './layer-helpers.ts';
import type { Entry } from './layer-helpers.ts';

const T = 1_600_000_000;
const CAP = Buffer.from([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

const dir = (name: string, o: Partial<Entry> = {}): Entry => ({ name: `${name}/`, type: 'directory', mode: 0o755, mtime: T, ...o });
const file = (name: string, body: string | Buffer = '', o: Partial<Entry> = {}): Entry => ({ name, type: 'file', mode: 0o644, mtime: T, body, ...o });
const wh = (name: string): Entry => ({ name, type: 'file', mode: 0, mtime: 0, body: '' });
const sym = (name: string, target: string, o: Partial<Entry> = {}): Entry => ({ name, type: 'symlink', linkname: target, mode: 0o777, mtime: T, ...o });
const hard = (name: string, target: string, o: Partial<Entry> = {}): Entry => ({ name, type: 'hardlink', linkname: target, mode: 0o644, mtime: T, ...o });

/** Depth-first, siblings by name bytes: the order strata's diff writes. */
function canonical(entries: Entry[]): Entry[] {
  const key = (e: Entry): Buffer[] => Buffer.from(e.name.replace(/\/$/, ''), 'utf8').toString('latin1').split('/').map((c) => Buffer.from(c, 'latin1'));
  return [...entries].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c = Buffer.compare(ka[i]!, kb[i]!);
      if (c !== 0) return c;
    }
    return ka.length - kb.length;
  });
}

interface Case {
  name: string;
  parents?: Entry[][];
  layer: Entry[];
  /** false when the native diff legitimately writes a different (equivalent) layer. */
  nativeSame?: boolean;
  /** false for layers an overlay layer cannot hold on its own. */
  overlay?: boolean;
}

const deep: Entry[] = [];
{
  let p = '';
  for (let i = 0; i < 2000; i++) {
    p = p === '' ? 'd' : `${p}/d`;
    deep.push(dir(p));
  }
  deep.push(file(`${p}/bottom`, 'deep'));
}
const long = `${'a'.repeat(100)}/${'b'.repeat(100)}/${'c'.repeat(100)}`;

const CASES: Case[] = [
  { name: 'files and directories are added', layer: [dir('a'), file('a/x', 'hello'), file('top', 'top\n'), file('empty'), dir('emptydir')] },
  { name: 'a file whiteout deletes a file', parents: [[file('a', 'A'), file('b', 'B')]], layer: [wh('.wh.a')] },
  { name: 'a directory whiteout deletes a whole tree', parents: [[dir('d'), file('d/x'), dir('d/e'), file('d/e/y', 'y')]], layer: [wh('.wh.d')] },
  { name: 'a nested whiteout keeps its directory', parents: [[dir('d'), file('d/x'), file('d/y')]], layer: [dir('d', { mtime: T + 5 }), wh('d/.wh.x')] },
  {
    name: 'an opaque directory hides what was below it',
    parents: [[dir('d'), file('d/old'), dir('d/sub'), file('d/sub/z')]],
    layer: [dir('d', { mtime: T + 1 }), wh('d/.wh..wh..opq'), file('d/new', 'n')],
    nativeSame: false,
  },
  { name: 'a file is replaced by a directory', parents: [[file('x', 'file')]], layer: [dir('x'), file('x/y', 'y')] },
  { name: 'a directory is replaced by a file', parents: [[dir('x'), file('x/y', 'y')]], layer: [file('x', 'file again')] },
  { name: 'file, then directory, then file again', parents: [[file('x', '1')], [dir('x'), file('x/y')]], layer: [file('x', '3')] },
  { name: 'a directory is replaced by a symlink', parents: [[dir('d'), file('d/f')]], layer: [sym('d', 'elsewhere')] },
  { name: 'a symlink is replaced by a directory', parents: [[sym('s', 'target')]], layer: [dir('s'), file('s/f', 'f')] },
  { name: 'hardlinks within a layer', layer: [file('a', 'data'), hard('b', 'a'), dir('d'), hard('d/c', 'a')] },
  { name: 'a hardlinked file changed in a later layer', parents: [[file('a', 'v1'), hard('b', 'a')]], layer: [file('a', 'v2', { mtime: T + 9 })] },
  { name: 'a hardlinked path deleted', parents: [[file('a', 'v1'), hard('b', 'a')]], layer: [wh('.wh.b')] },
  { name: 'a chmod-only change (copy-up)', parents: [[file('f', 'same')]], layer: [file('f', 'same', { mode: 0o600 })] },
  { name: 'a chown-only change (copy-up)', parents: [[file('f', 'same')]], layer: [file('f', 'same', { uid: 1000, gid: 1001 })] },
  { name: 'a metadata-only directory change', parents: [[dir('d'), file('d/f')]], layer: [dir('d', { mode: 0o700, uid: 7 })] },
  {
    name: 'xattrs, security.capability included',
    layer: [
      file('cap', 'bin', { xattrs: new Map([['security.capability', CAP], ['user.bin', Buffer.from([0, 0xff, 0x0a])]]) }),
      dir('xd', { xattrs: new Map([['user.dir', Buffer.from('v')], ['trusted.t', Buffer.from([1, 2, 3])]]) }),
    ],
  },
  { name: 'setuid, setgid and sticky bits', layer: [file('su', '#!', { mode: 0o4755 }), dir('sg', { mode: 0o2775 }), dir('sticky', { mode: 0o1777 }), file('sg/g', '', { mode: 0o2711 })] },
  {
    name: 'character and block devices and fifos',
    layer: [
      { name: 'null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666, mtime: T },
      { name: 'loop', type: 'block', devmajor: 7, devminor: 0, mode: 0o660, mtime: T, gid: 6 },
      { name: 'pipe', type: 'fifo', mode: 0o600, mtime: T },
    ],
  },
  { name: 'a sparse file', layer: [file('sparse', Buffer.concat([Buffer.alloc(1 << 20), Buffer.from('end')]))] },
  {
    name: 'names with spaces, unicode and newlines',
    layer: [file('with space', 's'), file('ünïcødé ✓', 'u'), file('new\nline', 'n'), dir('dir with space'), file('dir with space/x')],
  },
  { name: 'paths longer than 255 bytes', layer: [dir('a'.repeat(100)), dir(`${'a'.repeat(100)}/${'b'.repeat(100)}`), file(long, 'long')] },
  { name: 'empty files and directories', parents: [[dir('e'), file('e/x', 'x')]], layer: [dir('e', { mtime: T + 2 }), wh('e/.wh.x'), file('zero'), dir('new-empty')] },
  { name: 'a 2,000-deep tree', layer: deep },
  { name: 'a symlink keeps its owner and mtime', layer: [sym('l', '/abs/target', { uid: 5, gid: 6, mtime: T + 3 })] },
  { name: 'a whiteout and a new file in one directory', parents: [[dir('d'), file('d/a')]], layer: [dir('d', { mtime: T + 4 }), wh('d/.wh.a'), file('d/b', 'b')] },
  { name: 'content changed with a new mtime', parents: [[file('f', 'aaaa')]], layer: [file('f', 'bbbb', { mtime: T + 1 })] },
  { name: 'content changed with the same size and mtime', parents: [[file('f', 'aaaa')]], layer: [file('f', 'bbbb')] },
  { name: 'a unicode whiteout', parents: [[file('ü', 'x')]], layer: [wh('.wh.ü')] },
  { name: 'many entries in one directory', layer: [dir('many'), ...Array.from({ length: 300 }, (_, i) => file(`many/f${i}`, `${i}`))] },
  { name: 'an absolute symlink to a directory in a lower layer', parents: [[dir('usr'), dir('usr/lib'), file('usr/lib/a')]], layer: [sym('lib', '/usr/lib')] },
  { name: 'a large uid and a pre-1970 mtime', layer: [file('old', 'o', { uid: 300_000, gid: 300_000, mtime: -86_400 })] },
];

for (const c of CASES) {
  const layer = layerTar(canonical(c.layer));
  const parents = (c.parents ?? []).map((p) => layerTar(canonical(p)));

  // Every overlay case runs four times: on one thread, and with the threads that hash and
  // write new files (file-sink.ts) from the first byte, which a real layer only gets past
  // 2 MiB; each as a stream in odd-sized pieces and from a file read in place.
  const variants = [
    ['', Infinity, false],
    [', second thread', 0, false],
    [', from a file', Infinity, true],
    [', from a file, second thread', 0, true],
  ] as const;
  for (const [variant, secondThreadAfter, fromFile] of variants) {
    if (c.overlay === false) continue;
    test(`${c.name} (overlay whiteouts${variant})`, async () => {
      const root = tempDir();
      const ov = join(root, 'o');
      const ref = join(root, 'r');
      mkdirSync(ov);
      mkdirSync(ref);
      const stats = await apply(layer, ov, 'overlay', 777, { secondThreadAfter, fromFile });
      assert.equal(stats.diffId, sha256(layer));
      assert.equal(stats.tarSize, layer.length);
      gnuExtract(layer, ref);
      assert.deepEqual(snapshot(ov, true), snapshot(ref));
      assert.equal(stats.size, directorySize(ov), 'docker size = pkg/directory.Size of the layer dir');
      const back = await collect((output) => diffOverlayUpper({ upper: ov, output }));
      assert.equal(back.stats.diffId, sha256(back.tar));
      assert.equal(back.stats.diffId, stats.diffId, 'diff(apply(layer)) is the same layer');
      assert.equal(back.stats.size, stats.size);
      assert.equal(back.stats.tarSize, layer.length);
    });
  }

  test(`${c.name} (native whiteouts)`, async () => {
    const root = tempDir();
    const parent = join(root, 'p');
    const refParent = join(root, 'rp');
    mkdirSync(parent);
    mkdirSync(refParent);
    for (const p of parents) {
      await apply(p, parent, 'native');
      referenceApply(p, refParent);
    }
    const child = join(root, 'c');
    const refChild = join(root, 'rc');
    run('cp', ['-a', parent, child]);
    run('cp', ['-a', refParent, refChild]);
    // The native driver's layers come from the content store's files, read in place.
    const stats = await apply(layer, child, 'native', undefined, { fromFile: true });
    referenceApply(layer, refChild);
    assert.deepEqual(snapshot(child), snapshot(refChild));
    assert.deepEqual(snapshot(parent), snapshot(refParent));
    assert.equal(stats.diffId, sha256(layer));
    const back = await collect((output) => diffDirectories({ lower: parent, upper: child, output }));
    assert.equal(back.stats.diffId, sha256(back.tar));
    if (c.nativeSame !== false) assert.equal(back.stats.diffId, stats.diffId, 'diff(apply(layer)) is the same layer');
    // Either way the diff is a fixpoint: applying it gives the same tree and the same diff again.
    const again = join(root, 'a');
    run('cp', ['-a', parent, again]);
    await apply(back.tar, again, 'native');
    assert.deepEqual(snapshot(again), snapshot(child));
    const third = await collect((output) => diffDirectories({ lower: parent, upper: again, output }));
    assert.equal(third.stats.diffId, back.stats.diffId);
  });
}
