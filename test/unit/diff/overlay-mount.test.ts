// Real overlayfs (mounted with mount(8), in tests only): layers applied with overlay
// whiteouts read as deletions when stacked, and the upper directory of a changed mount
// diffs into a layer that reproduces the merged view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { diffOverlayUpper } from '../../../src/diff/index.ts';
import { apply, collect, headers, layerTar, run, snapshot, tempDir } from './layer-helpers.ts';
import type { Entry } from './layer-helpers.ts';

const T = 1_600_000_000;
const dir = (name: string, mtime = T): Entry => ({ name: `${name}/`, type: 'directory', mode: 0o755, mtime });
const file = (name: string, body: string, mtime = T): Entry => ({ name, type: 'file', mode: 0o644, mtime, body });
const wh = (name: string): Entry => ({ name, type: 'file', mode: 0, mtime: 0, body: '' });

const L1 = layerTar([dir('d'), file('d/x', 'x'), dir('d/sub'), file('d/sub/y', 'y'), dir('etc'), file('etc/a', 'a'), file('etc/b', 'b'), file('keep', 'k')]);
const L2 = layerTar([dir('d', T + 1), wh('d/.wh..wh..opq'), file('d/new', 'n'), dir('etc', T + 1), wh('etc/.wh.a')]);

function mount(options: string, at: string): () => void {
  run('mount', ['-t', 'overlay', 'overlay', '-o', options, at]);
  return () => run('umount', [at]);
}

test('stacked overlay layers: whiteouts delete and opaque directories hide, as in the native tree', async () => {
  const root = tempDir('so-');
  for (const d of ['l1', 'l2', 'm', 'native']) mkdirSync(join(root, d));
  await apply(L1, join(root, 'l1'), 'overlay');
  await apply(L2, join(root, 'l2'), 'overlay');
  await apply(L1, join(root, 'native'), 'native');
  await apply(L2, join(root, 'native'), 'native');
  const umount = mount(`lowerdir=${join(root, 'l2')}:${join(root, 'l1')}`, join(root, 'm'));
  try {
    const merged = snapshot(join(root, 'm'));
    assert.deepEqual(merged.map((n) => n.path), ['d', 'd/new', 'etc', 'etc/b', 'keep']);
    assert.deepEqual(merged, snapshot(join(root, 'native')));
  } finally {
    umount();
  }
});

test('a changed overlay mount diffs into a layer that reproduces the merged view', async () => {
  const root = tempDir('so-');
  for (const d of ['l1', 'l2', 'upper', 'work', 'm', 'parent']) mkdirSync(join(root, d));
  await apply(L1, join(root, 'l1'), 'overlay');
  await apply(L2, join(root, 'l2'), 'overlay');
  await apply(L1, join(root, 'parent'), 'native');
  await apply(L2, join(root, 'parent'), 'native');
  const m = join(root, 'm');
  const umount = mount(`lowerdir=${join(root, 'l2')}:${join(root, 'l1')},upperdir=${join(root, 'upper')},workdir=${join(root, 'work')}`, m);
  let merged;
  try {
    unlinkSync(join(m, 'etc/b')); // a kernel-made whiteout
    rmSync(join(m, 'd'), { recursive: true }); // a directory deleted and made again: opaque
    mkdirSync(join(m, 'd'));
    writeFileSync(join(m, 'd/fresh'), 'fresh');
    chmodSync(join(m, 'keep'), 0o600); // metadata-only: copy-up
    writeFileSync(join(m, 'new'), 'new file');
    linkSync(join(m, 'new'), join(m, 'new-link'));
    merged = snapshot(m);
  } finally {
    umount();
  }
  const { tar, stats } = await collect((output) => diffOverlayUpper({ upper: join(root, 'upper'), output }));
  const names = headers(tar).map((h) => `${h.type} ${h.name}${h.linkname ? ` -> ${h.linkname}` : ''}`);
  assert.deepEqual(names, [
    'directory d/',
    'file d/.wh..wh..opq',
    'file d/fresh',
    'directory etc/',
    'file etc/.wh.b',
    'file keep',
    'file new',
    'hardlink new-link -> new',
  ]);
  assert.equal(stats.size, 'fresh'.length + 'k'.length + 'new file'.length);
  // The native driver applies the same layer to the parent's tree and gets the merged view.
  const child = join(root, 'child');
  run('cp', ['-a', join(root, 'parent'), child]);
  await apply(tar, child, 'native');
  assert.deepEqual(snapshot(child), merged);
  assert.ok(!existsSync(join(child, 'd/x')));
});
