// The native driver: the shared snapshotter suite, and what only this driver shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../../src/metadata/index.ts';
import { openSnapshotter } from '../../../src/snapshots/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { snapshotterSuite } from './snapshotter-suite.ts';

snapshotterSuite({ driver: 'native', recreatedDirectoryChanges: ['C /opt', 'C /opt/old', 'D /opt/old/f', 'A /opt/old/g'] });

test('native: a container\'s GraphDriver data names its full tree as UpperDir', () => {
  const root = tempDir();
  const s = openSnapshotter(openDatabase(join(root, 'metadata.db')), join(root, 'snapshots'), 'native');
  s.prepare('base-key');
  s.commit('base', 'base-key');
  s.prepare('c', 'base');
  assert.deepEqual(s.graphDriverData('c', '/containers/c/rootfs'), { UpperDir: s.fsDir(s.stat('c')!) });
  assert.equal(s.graphDriverData('missing', '/x'), null);
});
