// The writable layer, on real overlayfs: copy-on-write shown on disk by inode, whiteouts in
// the container's layer only, rm removing its layer and nothing else, diff/commit/export as
// docker prints them (conformance c07), cp both ways with tar streams and symlink safety,
// rmi refusing a used image, and ten containers of a 100 MB image costing ~100 MB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, busyboxTree, mountsUnder, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();

function inspect(ref: string, format: string): string {
  return strataOk(root, ['inspect', '-f', format, ref]).trim();
}

test('copy-on-write: a change is the container\'s alone; the image\'s file keeps its inode and content', () => {
  const imageLayer = strataOk(root, ['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', BUSYBOX]).trim();
  const imageFile = join(imageLayer, 'etc', 'image-file');
  const before = statSync(imageFile);
  strataOk(root, ['run', '--name', 'writer', BUSYBOX, 'sh', '-c', 'echo changed > /etc/image-file']);
  strataOk(root, ['create', '--name', 'reader', BUSYBOX, 'cat', '/etc/image-file']);
  // The writer sees its change (through its layers, from a new container of its commit) …
  assert.equal(strataOk(root, ['cp', 'writer:/etc/image-file', '-']).includes('changed\n'), true);
  // … a second container and the image do not.
  assert.equal(strataOk(root, ['start', '-a', 'reader']), 'from the image\n');
  assert.equal(strataOk(root, ['run', '--rm', BUSYBOX, 'cat', '/etc/image-file']), 'from the image\n');
  const after = statSync(imageFile);
  assert.equal(after.ino, before.ino, 'same inode: the image layer was not written');
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.equal(readFileSync(imageFile, 'utf8'), 'from the image\n');
  const upper = inspect('writer', '{{.GraphDriver.Data.UpperDir}}');
  const copied = statSync(join(upper, 'etc', 'image-file'));
  assert.notEqual(copied.ino, before.ino, 'the change is a copy in the container\'s own layer');
  assert.equal(readFileSync(join(upper, 'etc', 'image-file'), 'utf8'), 'changed\n');
  strataOk(root, ['rm', 'writer', 'reader']);
});

test('deleting an image file makes a whiteout in the container\'s layer only; rm removes that layer and nothing else', () => {
  const imageLayer = strataOk(root, ['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', BUSYBOX]).trim();
  strataOk(root, ['run', '--name', 'deleter', BUSYBOX, 'rm', '/etc/image-file']);
  strataOk(root, ['run', '--name', 'bystander', BUSYBOX, 'touch', '/bystander']);
  const upper = inspect('deleter', '{{.GraphDriver.Data.UpperDir}}');
  const whiteout = lstatSync(join(upper, 'etc', 'image-file'));
  assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'a 0/0 character device: overlayfs\'s whiteout');
  assert.ok(statSync(join(imageLayer, 'etc', 'image-file')).isFile(), 'the image keeps the file');
  assert.equal(strataOk(root, ['diff', 'deleter']), 'C /etc\nD /etc/image-file\n');
  const lowers = inspect('deleter', '{{.GraphDriver.Data.LowerDir}}').split(':');
  const init = lowers[0] as string;
  const snapshotsBefore = readdirSync(join(root, 'snapshots', 'overlay')).sort();
  const bystanderUpper = inspect('bystander', '{{.GraphDriver.Data.UpperDir}}');
  strataOk(root, ['rm', 'deleter']);
  const snapshotsAfter = readdirSync(join(root, 'snapshots', 'overlay')).sort();
  const gone = snapshotsBefore.filter((d) => !snapshotsAfter.includes(d));
  assert.deepEqual(gone.sort(), [upper, init].map((p) => p.split('/').at(-2) as string).sort(), 'its writable and init layers, nothing else');
  assert.ok(existsSync(imageLayer) && existsSync(bystanderUpper));
  assert.equal(strataOk(root, ['run', '--rm', BUSYBOX, 'cat', '/etc/image-file']), 'from the image\n');
  strataOk(root, ['rm', 'bystander']);
});

test('diff, commit and export print what docker printed (conformance c07)', () => {
  strataOk(root, ['run', '--name', 'dc', BUSYBOX, 'sh', '-c', 'mkdir -p /srv/new && echo hi > /srv/new/f && rm /bin/vi && echo x >> /bin/busybox.txt']);
  assert.equal(strataOk(root, ['diff', 'dc']).split('\n').filter(Boolean).sort().join('\n'), 'A /bin/busybox.txt\nA /srv\nA /srv/new\nA /srv/new/f\nC /bin\nD /bin/vi');
  const id = strataOk(root, ['commit', '-c', 'CMD ["cat","/srv/new/f"]', '-m', 'a message', '-a', 'Ann Author', 'dc', 'ccase/committed:1']).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(strataOk(root, ['run', '--rm', 'ccase/committed:1']), 'hi\n');
  assert.equal(strataOk(root, ['image', 'history', '--no-trunc', '--format', '{{.Size}}|{{.CreatedBy}}|{{.Comment}}', 'ccase/committed:1']).split('\n')[0], '5B|sh -c mkdir -p /srv/new && echo hi > /srv/new/f && rm /bin/vi && echo x >> /bin/busybox.txt|a message');
  const parent = strataOk(root, ['image', 'inspect', '-f', '{{.Id}}', BUSYBOX]).trim();
  assert.equal(strataOk(root, ['image', 'inspect', '-f', '{{.Parent}} {{.Author}} {{json .Config.Cmd}}', 'ccase/committed:1']), `${parent} Ann Author ["cat","/srv/new/f"]\n`);
  assert.equal(strata(root, ['run', '--rm', 'ccase/committed:1', 'ls', '/bin/vi']).status, 1, 'the deletion was committed as a whiteout');
  const listing = execFileSync('tar', ['-t'], { input: execFileSync(process.execPath, [join(import.meta.dirname, '../../bin/strata'), 'export', 'dc'], { env: { ...process.env, STRATA_ROOT: root }, maxBuffer: 64 * 1024 * 1024 }) }).toString().split('\n');
  assert.ok(listing.includes('srv/new/f'));
  assert.ok(!listing.includes('bin/vi'));
  assert.ok(listing.includes('bin/busybox'));
  // The same change committed twice gives the same layer (deterministic diff).
  const again = strataOk(root, ['commit', 'dc']).trim();
  const layers = (ref: string): string => strataOk(root, ['image', 'inspect', '-f', '{{json .RootFS.Layers}}', ref]);
  assert.equal(layers(again), layers('ccase/committed:1'));
  const bad = strata(root, ['commit', '-c', 'RUN x', 'dc']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'Error: run is not a valid change command\n');
  strataOk(root, ['rm', 'dc']);
  strataOk(root, ['rmi', 'ccase/committed:1', again]);
});

test('cp both ways, tar streams with -, docker\'s path rules', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'tree', 'a'), 'a\n');
  writeFileSync(join(dir, 'tree', 'sub', 'b'), 'b\n');
  writeFileSync(join(dir, 'file'), 'file\n');
  strataOk(root, ['run', '-d', '--name', 'cpt', BUSYBOX, 'sleep', '60']);
  strataOk(root, ['cp', join(dir, 'file'), 'cpt:/tmp/']);
  strataOk(root, ['cp', join(dir, 'file'), 'cpt:/tmp/renamed']);
  strataOk(root, ['cp', join(dir, 'tree'), 'cpt:/tmp/']);
  strataOk(root, ['cp', `${join(dir, 'tree')}/.`, 'cpt:/tmp/contents']);
  assert.equal(strataOk(root, ['exec', 'cpt', 'sh', '-c', 'cd /tmp && find . | sort']), '.\n./contents\n./contents/a\n./contents/sub\n./contents/sub/b\n./file\n./renamed\n./tree\n./tree/a\n./tree/sub\n./tree/sub/b\n');
  assert.equal(strataOk(root, ['exec', 'cpt', 'stat', '-c', '%u:%g', '/tmp/tree/a']), '0:0\n', 'owned by the container\'s root without -a');
  // Out again.
  const out = join(dir, 'out');
  strataOk(root, ['cp', 'cpt:/tmp/tree', out]);
  assert.equal(readFileSync(join(out, 'sub', 'b'), 'utf8'), 'b\n');
  strataOk(root, ['cp', 'cpt:/tmp/tree', out]);
  assert.ok(existsSync(join(out, 'tree', 'sub', 'b')), 'an existing directory receives the source under its name');
  strataOk(root, ['cp', 'cpt:/tmp/file', join(dir, 'copied')]);
  assert.equal(readFileSync(join(dir, 'copied'), 'utf8'), 'file\n');
  const intoFile = strata(root, ['cp', 'cpt:/tmp/tree', join(dir, 'copied')]);
  assert.equal(intoFile.status, 1);
  assert.match(intoFile.stderr, /cannot copy a directory to a file/);
  // Tar streams: out to stdout, in from stdin.
  const tar = execFileSync(process.execPath, [join(import.meta.dirname, '../../bin/strata'), 'cp', 'cpt:/tmp/tree', '-'], { env: { ...process.env, STRATA_ROOT: root } });
  assert.deepEqual(execFileSync('tar', ['-t'], { input: tar }).toString().split('\n').filter(Boolean).sort(), ['tree/', 'tree/a', 'tree/sub/', 'tree/sub/b']);
  const input = execFileSync('tar', ['-C', dir, '-cf', '-', 'file']);
  strataOk(root, ['cp', '-', 'cpt:/tmp/tree/sub'], { input });
  assert.equal(strataOk(root, ['exec', 'cpt', 'cat', '/tmp/tree/sub/file']), 'file\n');
  const notDir = strata(root, ['cp', '-', 'cpt:/tmp/file'], { input });
  assert.equal(notDir.status, 1);
  assert.match(notDir.stderr, /must be an existing directory/);
  assert.match(strata(root, ['cp', 'cpt:/nope', dir]).stderr, /Could not find the file \/nope in container cpt/);
  strataOk(root, ['rm', '-f', 'cpt']);
});

test('cp is symlink-safe: every path resolves inside the container; a path that climbs out is refused', () => {
  const dir = tempDir();
  const hostMarker = join(dir, 'host-only');
  writeFileSync(hostMarker, 'host secret\n');
  // Links in the container that would point at the host's files if followed on the host.
  strataOk(root, ['run', '--name', 'links', BUSYBOX, 'sh', '-c', `mkdir -p /tmp/d && ln -s / /tmp/d/rootlink && ln -s ${hostMarker} /tmp/d/abs && ln -s ../../../../../../../../etc/passwd /tmp/d/climb && echo mine > /tmp/d/target`]);
  const viaAbs = strata(root, ['cp', '-L', 'links:/tmp/d/abs', join(dir, 'got-abs')]);
  assert.equal(viaAbs.status, 1, 'the absolute link resolves inside the container, where that file does not exist');
  assert.equal(existsSync(join(dir, 'got-abs')), false);
  strataOk(root, ['cp', '-L', 'links:/tmp/d/climb', join(dir, 'got-climb')]);
  assert.equal(readFileSync(join(dir, 'got-climb'), 'utf8'), readFileSync(join(root, '..', 'rootfs', 'etc', 'passwd'), 'utf8'), '.. stops at the container\'s root: its own passwd');
  strataOk(root, ['cp', 'links:/tmp/d/abs', join(dir, 'link-itself')]);
  assert.ok(lstatSync(join(dir, 'link-itself')).isSymbolicLink(), 'without -L the link itself is copied');
  // Writing through a link to / lands in the container's root, not the host's.
  writeFileSync(join(dir, 'payload'), 'payload\n');
  strataOk(root, ['cp', join(dir, 'payload'), 'links:/tmp/d/rootlink/strata-escape-test']);
  assert.equal(existsSync('/strata-escape-test'), false, 'nothing written on the host');
  assert.equal(strataOk(root, ['diff', 'links']).includes('A /strata-escape-test'), true, 'it landed in the container\'s root');
  const bad = strata(root, ['cp', 'links:../../etc/passwd', dir]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid container path "\.\.\/\.\.\/etc\/passwd": it escapes the container's root/);
  const badIn = strata(root, ['cp', join(dir, 'payload'), 'links:/../x']);
  assert.equal(badIn.status, 1);
  // A tar with a link that climbs out of the destination is refused, as docker refuses it.
  const evil = join(dir, 'evil');
  mkdirSync(evil);
  symlinkSync('../../../../../../..', join(evil, 'up'));
  const evilTar = execFileSync('tar', ['-C', evil, '-cf', '-', 'up']);
  const rejected = strata(root, ['cp', '-', 'links:/tmp'], { input: evilTar });
  assert.equal(rejected.status, 1);
  assert.match(rejected.stderr, /points outside|outside the layer root/);
  strataOk(root, ['rm', 'links']);
  assert.deepEqual(mountsUnder(join(root, 'containers')), []);
});

test('rmi refuses an image a container uses, as docker; -f untags it and the container still runs', () => {
  const id = strataOk(root, ['create', '--name', 'user', BUSYBOX, 'cat', '/etc/image-file']).trim();
  strataOk(root, ['tag', BUSYBOX, 'ctest/other:1']);
  const imageId = strataOk(root, ['image', 'inspect', '-f', '{{.Id}}', BUSYBOX]).trim();
  const refused = strata(root, ['rmi', imageId]);
  assert.equal(refused.status, 1);
  assert.equal(refused.stderr, `Error: conflict: unable to delete ${imageId.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`);
  strataOk(root, ['rmi', 'ctest/other:1']);
  const used = strata(root, ['rmi', BUSYBOX]);
  assert.equal(used.status, 1);
  assert.equal(used.stderr, `Error: conflict: unable to remove repository reference "${BUSYBOX}" (must force) - container ${id.slice(0, 12)} is using its referenced image ${imageId.slice(7, 19)}\n`);
  assert.equal(strataOk(root, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']).split('\n')[0], 'Images 1 1');
  // Re-tag first so the other tests keep their image, then force.
  strataOk(root, ['tag', BUSYBOX, 'ctest/keep:1']);
  strataOk(root, ['rmi', '-f', BUSYBOX]);
  assert.equal(strataOk(root, ['start', '-a', 'user']), 'from the image\n');
  assert.equal(strataOk(root, ['ps', '-a', '--format', '{{.Image}}']), `${imageId.slice(7, 19)}\n`, 'its name names nothing now: the short ID, as docker');
  strataOk(root, ['tag', 'ctest/keep:1', BUSYBOX]);
  assert.equal(strataOk(root, ['ps', '-a', '--format', '{{.Image}}']), `${BUSYBOX}\n`);
  strataOk(root, ['rmi', 'ctest/keep:1']);
  strataOk(root, ['rm', 'user']);
});

test('ten containers of a 100 MB image use about 100 MB, as system df reports', () => {
  const dir = tempDir();
  const tree = busyboxTree(dir);
  writeFileSync(join(tree, 'big'), randomBytes(100 * 1000 * 1000));
  execFileSync('tar', ['-C', tree, '-cf', join(dir, 'big.tar'), '.']);
  strataOk(root, ['import', join(dir, 'big.tar'), 'ctest/big:1']);
  for (let i = 0; i < 10; i++) strataOk(root, ['run', '--name', `big-${i}`, 'ctest/big:1', 'sh', '-c', `echo ${i} > /mine`]);
  const rows = Object.fromEntries(strataOk(root, ['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Size}}']).trim().split('\n').map((l) => {
    const [type, count, size] = l.split('|');
    return [type, { count, size }];
  }));
  assert.equal(rows['Containers']?.count, '10');
  assert.equal(rows['Containers']?.size, '20B', 'each container holds only its own 2-byte file');
  assert.match(rows['Images']?.size ?? '', /^10[0-9](\.\d+)?MB$/, 'the image\'s layer is counted once (with the small busybox image)');
  const du = Number(execFileSync('du', ['-sb', join(root, 'snapshots')]).toString().split('\t')[0]);
  assert.ok(du < 120 * 1000 * 1000, `the snapshots take ${du} bytes on disk for ten containers`);
  assert.match(strataOk(root, ['ps', '-a', '-s', '--filter', 'name=big-0', '--format', '{{.Size}}']), /^2B \(virtual 10\d\.?\d*MB\)\n$/);
  for (let i = 0; i < 10; i++) strataOk(root, ['rm', `big-${i}`]);
  strataOk(root, ['rmi', 'ctest/big:1']);
});
