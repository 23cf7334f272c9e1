// A command that has found an image or a volume, while another removes it (races the soak
// test met): each is held at a failpoint (STRATA_FAILPOINT) while `rmi -f` or `volume rm`
// runs, then let go. It must end as docker's would — `No such image`, or done whole with
// what it found — never with "internal error: FOREIGN KEY constraint failed", a config blob
// "not found in the content store", or a volume directory deleted under a new volume.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOnlyGarbage } from '../helpers/store-check.ts';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdAt } from '../helpers/failpoint.ts';
import { BUSYBOX, canRunContainers, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const skip = canRunContainers() ? false : 'needs root and runc';
const root = skip ? '' : storeWithBusybox();

/** An image of its own (busybox plus one layer), which removing takes layers with it. */
function ownImage(name: string): string {
  strataOk(root, ['run', '--name', `make-${name}`, BUSYBOX, 'sh', '-c', `echo ${name} > /made`]);
  const id = strataOk(root, ['commit', `make-${name}`, `race/${name}:1`]).trim();
  strataOk(root, ['rm', `make-${name}`]);
  return id;
}

/** No problem: at most garbage the race freed while a lease held it, which --repair removes. */
function checkOk(): void {
  checkOnlyGarbage(root);
}

test('tag of an image rmi -f removes after tag found it: No such image, and no tag', { skip }, async () => {
  const id = ownImage('tagged');
  const held = await holdAt(root, 'tag: image found', ['tag', id, 'race/tagged:2']);
  assert.match(strataOk(root, ['rmi', '-f', id]), new RegExp(`Deleted: ${id}`));
  const r = await held.resume();
  assert.deepEqual({ status: r.status, stderr: r.stderr }, { status: 1, stderr: `Error: No such image: ${id}\n` });
  assert.equal(strataOk(root, ['images', '-q', 'race/tagged']), '');
  checkOk();
});

test('run of an image rmi -f removes after run found it, before create holds it: No such image, no container', { skip }, async () => {
  const id = ownImage('gone');
  const held = await holdAt(root, 'create: begin', ['run', '--rm', '--name', 'race-gone', id, 'cat', '/made']);
  assert.match(strataOk(root, ['rmi', '-f', id]), new RegExp(`Deleted: ${id}`));
  const r = await held.resume();
  assert.deepEqual({ status: r.status, stderr: r.stderr }, { status: 125, stderr: `Error: No such image: ${id}\n` });
  assert.equal(strataOk(root, ['ps', '-aq', '--filter', 'name=race-gone']), '');
  checkOk();
});

test('run of an image rmi -f removes while create makes the container: No such image, nothing left', { skip }, async () => {
  const id = ownImage('held');
  const snapshots = readdirSync(join(root, 'snapshots', 'overlay')).length;
  const held = await holdAt(root, 'create: options checked', ['run', '--name', 'race-held', id, 'cat', '/made']);
  // No container yet, so rmi needs no force to delete it; the create's lease keeps the layers.
  assert.match(strataOk(root, ['rmi', '-f', id]), new RegExp(`Deleted: ${id}`));
  const r = await held.resume();
  assert.deepEqual({ status: r.status, stdout: r.stdout, stderr: r.stderr }, { status: 125, stdout: '', stderr: `Error: No such image: ${id}\n` });
  assert.equal(strataOk(root, ['ps', '-aq', '--filter', 'name=race-held']), '');
  checkOk();
  // Its lease ended with it: the next collection takes the image's own layer.
  strataOk(root, ['builder', 'prune', '-a', '-f']);
  assert.equal(readdirSync(join(root, 'snapshots', 'overlay')).length, snapshots - 1);
});

test('run -v NAME after volume rm removed NAME since the mounts were planned: the volume is made again and mounted', { skip }, async () => {
  strataOk(root, ['volume', 'create', 'race-vol']);
  const held = await holdAt(root, 'create: mounts planned', ['run', '-d', '--name', 'race-vol-user', '-v', 'race-vol:/data', BUSYBOX, 'sleep', '600']);
  assert.equal(strataOk(root, ['volume', 'rm', 'race-vol']), 'race-vol\n');
  const r = await held.resume();
  assert.equal(r.status, 0, r.stderr);
  strataOk(root, ['exec', 'race-vol-user', 'sh', '-c', 'echo written > /data/f']);
  const mountpoint = strataOk(root, ['volume', 'inspect', '--format', '{{.Mountpoint}}', 'race-vol']).trim();
  assert.equal(readFileSync(join(mountpoint, 'f'), 'utf8'), 'written\n', 'the container writes into the volume\'s directory');
  assert.match(strata(root, ['volume', 'rm', 'race-vol']).stderr, /volume is in use/);
  strataOk(root, ['rm', '-f', 'race-vol-user']);
  strataOk(root, ['volume', 'rm', 'race-vol']);
  checkOk();
});

test('a volume made again while volume rm of its name finishes is new and empty, and keeps its directory', { skip }, async () => {
  strataOk(root, ['volume', 'create', 'race-again']);
  strataOk(root, ['run', '--rm', '-v', 'race-again:/data', BUSYBOX, 'sh', '-c', 'echo old > /data/old']);
  const held = await holdAt(root, 'volume rm: record deleted', ['volume', 'rm', 'race-again']);
  strataOk(root, ['run', '-d', '--name', 'race-again-user', '-v', 'race-again:/data', BUSYBOX, 'sleep', '600']);
  assert.equal(strataOk(root, ['exec', 'race-again-user', 'ls', '-A', '/data']), '', 'the removed volume\'s files are not in the new one');
  const r = await held.resume();
  assert.deepEqual({ status: r.status, stdout: r.stdout, stderr: r.stderr }, { status: 0, stdout: 'race-again\n', stderr: '' });
  strataOk(root, ['exec', 'race-again-user', 'sh', '-c', 'echo new > /data/new']);
  const mountpoint = strataOk(root, ['volume', 'inspect', '--format', '{{.Mountpoint}}', 'race-again']).trim();
  assert.ok(existsSync(join(mountpoint, 'new')), 'the new volume\'s directory is still the one its container uses');
  strataOk(root, ['rm', '-f', 'race-again-user']);
  strataOk(root, ['volume', 'rm', 'race-again']);
  checkOk();
});

test('a build that makes an image rmi is removing (same config, all steps cached) records it with its config blob', { skip }, async () => {
  const ctx = mkdtempSync(join(tmpdir(), 'strata-race-ctx-'));
  after(() => rmSync(ctx, { recursive: true, force: true }));
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo built > /built\n`);
  const id = strataOk(root, ['build', '-q', '-t', 'race/built:1', ctx]).trim();
  // The collector keeps blobs written since the oldest live lease began (less a second of
  // slack): this one must be older than the next build's lease, as a stored image's is.
  const blob = join(root, 'content', 'blobs', 'sha256', id.slice(7));
  while (statSync(blob).ctimeMs > Date.now() - 1500) await new Promise((r) => setTimeout(r, 100));
  // All steps cached: the same config again, written over the stored blob, then recorded.
  const held = await holdAt(root, 'image create: blobs written', ['build', '-q', '-t', 'race/built:2', ctx]);
  assert.match(strataOk(root, ['rmi', 'race/built:1']), new RegExp(`Deleted: ${id}`));
  const r = await held.resume();
  assert.deepEqual({ status: r.status, stdout: r.stdout }, { status: 0, stdout: `${id}\n` }, r.stderr);
  checkOk();
  assert.equal(strataOk(root, ['run', '--rm', 'race/built:2', 'cat', '/built']), 'built\n');
});

test('container prune that found a container stopped, which a start runs meanwhile, leaves it running', { skip }, async () => {
  strataOk(root, ['create', '--name', 'race-started', BUSYBOX, 'sleep', '600']);
  const held = await holdAt(root, 'rm: status checked', ['container', 'prune', '-f']);
  strataOk(root, ['start', 'race-started']);
  const r = await held.resume();
  assert.deepEqual({ status: r.status, stdout: r.stdout, stderr: r.stderr }, { status: 0, stdout: 'Total reclaimed space: 0B\n', stderr: '' });
  assert.equal(strataOk(root, ['inspect', '--format', '{{.State.Status}}', 'race-started']), 'running\n');
  strataOk(root, ['rm', '-f', 'race-started']);
  checkOk();
});

test('container prune while commit reads a stopped container: the commit completes, the prune leaves the container', { skip }, async () => {
  strataOk(root, ['run', '--name', 'race-commit', BUSYBOX, 'sh', '-c', 'echo kept > /kept']);
  const commit = await holdAt(root, 'commit: writable layer found', ['commit', 'race-commit', 'race/committed:1']);
  const prune = await holdAt(root, 'rm: status checked', ['container', 'prune', '-f']);
  // The prune goes first, as far as it can: the commit holds the container (it waits, then keeps it).
  const pruned = await prune.resume();
  assert.deepEqual({ status: pruned.status, stdout: pruned.stdout }, { status: 0, stdout: 'Total reclaimed space: 0B\n' }, pruned.stderr);
  const r = await commit.resume();
  assert.equal(r.status, 0, r.stderr);
  assert.equal(strataOk(root, ['run', '--rm', 'race/committed:1', 'cat', '/kept']), 'kept\n');
  strataOk(root, ['rm', 'race-commit']);
  strataOk(root, ['rmi', 'race/committed:1']);
  checkOk();
});

test('create whose generated name another create takes meanwhile: it gets another name, as docker\'s would', { skip }, async () => {
  const held = await holdAt(root, 'create: generated name', ['create', '--network', 'none', BUSYBOX, 'true']);
  const name = /^create: generated name (\S+)$/.exec(held.label)?.[1];
  assert.ok(name !== undefined, held.label);
  const other = strataOk(root, ['create', '--network', 'none', '--name', name, BUSYBOX, 'true']).trim();
  const r = await held.resume();
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const names = strataOk(root, ['inspect', '--format', '{{.Name}}', id, other]).split('\n');
  assert.equal(names[1], `/${name}`);
  assert.notEqual(names[0], `/${name}`);
  assert.match(names[0]!, /^\/[a-z]+_[a-z]+\d*$/);
  strataOk(root, ['rm', id, other]);
  checkOk();
});
