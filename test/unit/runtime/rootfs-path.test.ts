// Symlink attacks from an untrusted rootfs: /etc/passwd, /etc/group and the working
// directory must resolve inside the rootfs, whatever links the image ships.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdirInRootfs, readRootfsFile, resolveInRootfs } from '../../../src/runtime/rootfs-path.ts';
import { createBundle } from '../../../src/runtime/bundle.ts';
import { probeHost } from '../../../src/runtime/host-info.ts';

function tempRoot(): { dir: string; rootfs: string; outside: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-rootfs-'));
  const rootfs = join(dir, 'rootfs');
  const outside = join(dir, 'outside');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  mkdirSync(outside);
  return { dir, rootfs, outside, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('resolveInRootfs keeps absolute and relative links inside the rootfs', () => {
  const t = tempRoot();
  try {
    symlinkSync('/etc', join(t.rootfs, 'abs'));
    symlinkSync('../../../../..', join(t.rootfs, 'etc', 'up'));
    symlinkSync('loop2', join(t.rootfs, 'loop1'));
    symlinkSync('loop1', join(t.rootfs, 'loop2'));
    assert.equal(resolveInRootfs(t.rootfs, '/abs/passwd'), join(t.rootfs, 'etc/passwd'));
    assert.equal(resolveInRootfs(t.rootfs, '/etc/up/etc/passwd'), join(t.rootfs, 'etc/passwd'));
    assert.equal(resolveInRootfs(t.rootfs, '/../../etc/x'), join(t.rootfs, 'etc/x'));
    assert.throws(() => resolveInRootfs(t.rootfs, '/loop1/x'), /too many levels of symbolic links/);
  } finally {
    t.done();
  }
});

test('passwd symlinked to the host\'s file reads the rootfs\'s target, not the host\'s', () => {
  const t = tempRoot();
  try {
    symlinkSync('/etc/shadow', join(t.rootfs, 'etc', 'passwd'));
    assert.equal(readRootfsFile(t.rootfs, '/etc/passwd'), undefined, 'no /etc/shadow in the rootfs, so no file');
    writeFileSync(join(t.rootfs, 'etc', 'shadow'), 'evil:x:0:0::/:/bin/sh\n');
    assert.equal(readRootfsFile(t.rootfs, '/etc/passwd')?.toString(), 'evil:x:0:0::/:/bin/sh\n');
    symlinkSync(t.outside, join(t.rootfs, 'etc', 'group'));
    assert.equal(readRootfsFile(t.rootfs, '/etc/group'), undefined);
    mkdirSync(join(t.rootfs, 'dev'));
    symlinkSync('/dev/zero', join(t.rootfs, 'etc', 'zero'));
    assert.equal(readRootfsFile(t.rootfs, '/etc/zero'), undefined);
  } finally {
    t.done();
  }
});

test('the working directory is created inside the rootfs even through an escaping link', () => {
  const t = tempRoot();
  try {
    symlinkSync(t.outside, join(t.rootfs, 'work'));
    const made = mkdirInRootfs(t.rootfs, '/work/app/data');
    assert.equal(made, join(t.rootfs, t.outside, 'app/data'));
    assert.ok(statSync(made).isDirectory());
    assert.ok(!existsSync(join(t.outside, 'app')), 'nothing created outside the rootfs');
    assert.equal(statSync(made).mode & 0o777, 0o755);
    writeFileSync(join(t.rootfs, 'file'), '');
    assert.throws(() => mkdirInRootfs(t.rootfs, '/file/sub'), /Cannot mkdir: \/file\/sub is not a directory/);
  } finally {
    t.done();
  }
});

test('createBundle writes config.json and the /etc files, and makes the workdir', () => {
  const t = tempRoot();
  try {
    writeFileSync(join(t.rootfs, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:100:101::/app:/bin/sh\n');
    writeFileSync(join(t.rootfs, 'etc', 'group'), 'root:x:0:\napp:x:101:\nextra:x:102:app\n');
    const bundleDir = join(t.dir, 'bundle');
    const b = createBundle({
      bundleDir, rootfs: t.rootfs, image: { Cmd: ['sh'], WorkingDir: '/srv/app', User: 'app' },
      options: { id: 'c'.repeat(64), hostname: 'box' }, host: probeHost(),
    });
    const written = JSON.parse(readFileSync(join(bundleDir, 'config.json'), 'utf8'));
    assert.deepEqual(written, JSON.parse(JSON.stringify(b.spec)));
    assert.deepEqual(written.process.user, { uid: 100, gid: 101, additionalGids: [101, 102] });
    assert.equal(written.process.cwd, '/srv/app');
    assert.ok(statSync(join(t.rootfs, 'srv/app')).isDirectory());
    assert.equal(statSync(join(t.rootfs, 'srv/app')).uid, 0, 'docker creates the workdir as root');
    assert.equal(readFileSync(join(bundleDir, 'hostname'), 'utf8'), 'box\n');
    assert.match(readFileSync(join(bundleDir, 'hosts'), 'utf8'), /^127\.0\.0\.1\tlocalhost\n/);
    assert.ok(existsSync(join(bundleDir, 'resolv.conf')));
  } finally {
    t.done();
  }
});
