// The writable layer on the native driver (full copies, for filesystems where overlayfs
// can't mount): `diff`, `commit` and `inspect` give what they give on overlay, the driver's
// own way underneath (a full tree as UpperDir, deletions as plain removals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

// Every command of this file, the fixture's import included, runs on the native driver.
process.env['STRATA_STORAGE_DRIVER'] = 'native';
const root = storeWithBusybox();

test('native: diff lists what docker lists, commit makes a layer of the change, inspect names the driver and its tree', () => {
  strataOk(root, ['run', '--name', 'dc', BUSYBOX, 'sh', '-c', 'mkdir -p /srv/new && echo hi > /srv/new/f && rm /bin/vi && echo x >> /etc/image-file']);
  assert.equal(strataOk(root, ['diff', 'dc']), 'C /bin\nD /bin/vi\nC /etc\nC /etc/image-file\nA /srv\nA /srv/new\nA /srv/new/f\n');
  const graph = JSON.parse(strataOk(root, ['inspect', '-f', '{{json .GraphDriver}}', 'dc'])) as { Name: string; Data: { UpperDir: string } };
  assert.equal(graph.Name, 'native');
  assert.deepEqual(Object.keys(graph.Data), ['UpperDir']);
  assert.equal(readFileSync(join(graph.Data.UpperDir, 'srv', 'new', 'f'), 'utf8'), 'hi\n');
  assert.ok(existsSync(join(graph.Data.UpperDir, 'bin', 'busybox')), 'a full tree, the image\'s files included');
  assert.equal(strataOk(root, ['inspect', '-f', '{{.Driver}}', 'dc']), 'native\n');

  strataOk(root, ['commit', '-c', 'CMD ["cat","/srv/new/f","/etc/image-file"]', 'dc', 'native/committed:1']);
  assert.equal(strataOk(root, ['image', 'inspect', '-f', '{{len .RootFS.Layers}} {{.GraphDriver.Name}}', 'native/committed:1']), '2 native\n');
  assert.equal(strataOk(root, ['run', '--rm', 'native/committed:1']), 'hi\nfrom the image\nx\n');
  assert.equal(strata(root, ['run', '--rm', 'native/committed:1', 'ls', '/bin/vi']).status, 1, 'the deletion was committed');
  // Only the change is in the layer: not the init layer's files, nor the image's.
  const layer = strataOk(root, ['image', 'history', '--format', '{{.Size}}', 'native/committed:1']).split('\n')[0];
  assert.equal(layer, '20B');
  strataOk(root, ['rm', 'dc']);
});
