// The overlay driver: the shared snapshotter suite, and what only this driver shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../../src/metadata/index.ts';
import { openSnapshotter } from '../../../src/snapshots/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { snapshotterSuite } from './snapshotter-suite.ts';

snapshotterSuite({ driver: 'overlay', recreatedDirectoryChanges: ['C /opt', 'D /opt/old', 'A /opt/old/g'] });

test('overlay: a container\'s GraphDriver data names its lower, merged, upper and work directories', () => {
  const root = tempDir();
  const s = openSnapshotter(openDatabase(join(root, 'metadata.db')), join(root, 'snapshots'), 'overlay');
  s.prepare('base-key');
  s.commit('base', 'base-key');
  s.prepare('init-key', 'base');
  s.commit('c-init', 'init-key');
  s.prepare('c', 'c-init');
  const dirOf = (key: string): string => s.fsDir(s.stat(key)!);
  assert.deepEqual(s.graphDriverData('c', '/containers/c/rootfs'), {
    LowerDir: `${dirOf('c-init')}:${dirOf('base')}`,
    MergedDir: '/containers/c/rootfs',
    UpperDir: dirOf('c'),
    WorkDir: join(s.home, s.stat('c')!.dir, 'work'),
  });
  assert.equal(s.graphDriverData('missing', '/x'), null);
});
