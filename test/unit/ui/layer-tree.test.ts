// The explorer's marks: a layer's paths against the tree its lower layers leave, with
// whiteouts and opaque directories, and directory sizes as the bytes stored under them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLayer, coverOf, indexLayer, isHidden, listDirectory, normalizePath, searchIndex, withHidden, type LayerEntry, type VisibleTree } from '../../../src/ui/layer-tree.ts';

const file = (path: string, size = 0): LayerEntry => ({ path, type: 'file', size, linkname: '' });
const dir = (path: string): LayerEntry => ({ path, type: 'directory', size: 0, linkname: '' });

test('tar names become absolute paths', () => {
  assert.equal(normalizePath('./usr/bin/'), '/usr/bin');
  assert.equal(normalizePath('etc/passwd'), '/etc/passwd');
  assert.equal(normalizePath('./'), '/');
  assert.equal(normalizePath('a/../../b'), '/b');
});

test('paths are marked A, C or D against the layers below, opaque directories list what they hide', () => {
  const below: VisibleTree = new Map();
  applyLayer(below, [dir('/etc'), file('/etc/passwd', 10), file('/etc/gone', 5), dir('/var'), dir('/var/cache'), file('/var/cache/a', 7), file('/var/cache/b', 8)]);
  applyLayer(below, [file('/etc/.wh.gone')]);
  assert.equal(below.get('/etc')?.has('gone'), false, 'a whiteout in a lower layer removes the path');
  const index = indexLayer([
    dir('/etc'), file('/etc/passwd', 12), file('/etc/new', 3), file('/etc/gone', 1),
    dir('/var/cache'), file('/var/cache/.wh..wh..opq'), file('/var/cache/b', 4),
    file('/etc/.wh.shadow'), file('/usr/lib/x.so', 100),
  ], below);
  const marks = Object.fromEntries([...index.nodes.values()].map((n) => [n.path, n.mark]));
  assert.deepEqual(marks, {
    '/etc': 'C', '/etc/passwd': 'C', '/etc/new': 'A', '/etc/gone': 'A', '/etc/shadow': 'D',
    '/var': 'C', '/var/cache': 'C', '/var/cache/b': 'C', '/var/cache/a': 'D',
    '/usr': 'A', '/usr/lib': 'A', '/usr/lib/x.so': 'A',
  });
  assert.deepEqual(listDirectory(index, '/').map((n) => [n.name, n.size, n.children]), [['etc', 16, 4], ['usr', 100, 1], ['var', 4, 1]]);
  assert.deepEqual(listDirectory(index, '/etc').map((n) => n.name), ['gone', 'new', 'passwd', 'shadow']);
  assert.equal(index.fileCount, 5);
  assert.equal(index.totalSize, 120);
  assert.deepEqual(searchIndex(index, 'CACHE/', 10).matches.map((n) => n.path).sort(), ['/var/cache/a', '/var/cache/b']);
  assert.deepEqual(searchIndex(index, 'e', 2), { matches: searchIndex(index, 'e', 2).matches, truncated: true });
});

test('a path is hidden when a later layer overwrites it, deletes it or an ancestor, or makes an ancestor opaque', () => {
  const index = indexLayer([
    dir('/a'), file('/a/kept', 1), file('/a/overwritten', 2), file('/a/deleted', 3),
    dir('/b'), file('/b/x', 4), dir('/c'), file('/c/y', 5), dir('/d'), file('/d/now-a-dir', 6), dir('/e'), file('/e/.wh.z'),
  ], new Map());
  const cover = coverOf([
    [dir('/a'), file('/a/overwritten', 9), file('/a/.wh.deleted'), file('/.wh.b')],
    [dir('/c'), file('/c/.wh..wh..opq'), file('/c/y', 1), dir('/d/now-a-dir'), file('/e/z', 1)],
  ]);
  const hidden = [...index.nodes.values()].filter((n) => isHidden(cover, n)).map((n) => n.path).sort();
  assert.deepEqual(hidden, ['/a/deleted', '/a/overwritten', '/b', '/b/x', '/c/y', '/d/now-a-dir']);
  const marked = withHidden(listDirectory(index, '/a'), cover);
  assert.deepEqual(marked.map((n) => [n.name, n.hidden]), [['deleted', true], ['kept', false], ['overwritten', true]]);
  assert.equal(listDirectory(index, '/a').every((n) => !n.hidden), true, 'the shared index is not changed');
  assert.deepEqual(withHidden(listDirectory(index, '/a'), undefined).map((n) => n.hidden), [false, false, false]);
});
