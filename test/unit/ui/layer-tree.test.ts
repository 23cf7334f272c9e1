// The explorer's marks: a layer's paths against the tree its lower layers leave, with
// whiteouts and opaque directories, and directory sizes as the bytes stored under them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLayer, indexLayer, listDirectory, normalizePath, searchIndex, withHidden, type LayerEntry, type VisibleTree } from '../../../src/ui/layer-tree.ts';

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

test('hidden marks come from the given paths, on copies, never on a deletion', () => {
  const index = indexLayer([dir('/a'), file('/a/kept', 1), file('/a/overwritten', 2), file('/a/.wh.gone')], new Map([['/', new Set(['a'])], ['/a', new Set(['gone'])]]));
  const hidden = new Set(['/a/overwritten', '/a/gone']);
  assert.deepEqual(withHidden(listDirectory(index, '/a'), hidden).map((n) => `${n.mark} ${n.name} ${n.hidden}`), ['D gone false', 'A kept false', 'A overwritten true']);
  assert.equal(listDirectory(index, '/a').every((n) => !n.hidden), true, 'the shared index is not changed');
  assert.deepEqual(withHidden(listDirectory(index, '/a'), undefined).map((n) => n.hidden), [false, false, false]);
});
