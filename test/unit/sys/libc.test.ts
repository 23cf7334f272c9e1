// The libc calls strata needs beyond node:fs, on real files in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, lutimesSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { lgetxattr, lgetxattrs, llistxattr, lremovexattr, lsetxattr, makedev, mknod, splitDev } from '../../../src/internal/sys/index.ts';
import { errnoOf } from '../../../src/errdefs/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-sys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CAPABILITY = Buffer.from([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

test('mknod makes the overlay whiteout: a 0/0 character device', () => {
  const p = join(dir, 'wh');
  mknod(p, 'char', 0);
  const st = lstatSync(p);
  assert.ok(st.isCharacterDevice());
  assert.equal(st.rdev, 0);
  assert.throws(() => mknod(p, 'char', 0), { code: 'already-exists', message: /mknod ".*wh": already exists/ });
});

test('mknod makes char and block devices with large numbers, and fifos', () => {
  mknod(join(dir, 'null'), 'char', 0o666, 1, 3);
  mknod(join(dir, 'blk'), 'block', 0o600, 259, 1_048_575);
  mknod(join(dir, 'fifo'), 'fifo', 0o644);
  const c = lstatSync(join(dir, 'null'));
  assert.ok(c.isCharacterDevice());
  assert.deepEqual(splitDev(c.rdev), { major: 1, minor: 3 });
  const b = lstatSync(join(dir, 'blk'));
  assert.ok(b.isBlockDevice());
  assert.deepEqual(splitDev(b.rdev), { major: 259, minor: 1_048_575 });
  assert.ok(lstatSync(join(dir, 'fifo')).isFIFO());
  // Same encoding as the kernel's (checked with stat(1)).
  const hex = execFileSync('stat', ['-c', '%t:%T', join(dir, 'blk')]).toString().trim();
  assert.equal(hex, `103:fffff`);
  assert.equal(makedev(1, 3), 0x103n);
});

test('mknod names the path when the parent does not exist', () => {
  assert.throws(() => mknod(join(dir, 'missing', 'x'), 'fifo', 0o644), (err: Error & { code?: string; cause?: unknown }) => {
    assert.equal(err.code, 'not-found');
    assert.match(err.message, /missing\/x/);
    assert.equal(errnoOf(err.cause), 'ENOENT');
    return true;
  });
});

test('xattrs: binary values round-trip, on files, directories and symlinks, without following links', () => {
  const f = join(dir, 'file');
  writeFileSync(f, 'x');
  lsetxattr(f, 'security.capability', CAPABILITY);
  lsetxattr(f, 'user.bin', Buffer.from([0, 0xff, 0x80, 0]));
  lsetxattr(f, 'user.empty', Buffer.alloc(0));
  assert.deepEqual(lgetxattr(f, 'security.capability'), CAPABILITY);
  assert.deepEqual(lgetxattr(f, 'user.bin'), Buffer.from([0, 0xff, 0x80, 0]));
  assert.deepEqual(lgetxattr(f, 'user.empty'), Buffer.alloc(0));
  assert.equal(lgetxattr(f, 'user.none'), undefined);
  assert.deepEqual(new Set(llistxattr(f)), new Set(['security.capability', 'user.bin', 'user.empty']));
  assert.deepEqual(lgetxattrs(f).get('user.bin'), Buffer.from([0, 0xff, 0x80, 0]));
  lremovexattr(f, 'user.bin');
  lremovexattr(f, 'user.bin'); // missing: fine
  assert.equal(lgetxattr(f, 'user.bin'), undefined);
  // Python reads the same bytes (an independent check of the encoding).
  const py = execFileSync('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], "security.capability").hex())', f]).toString();
  assert.equal(py, CAPABILITY.toString('hex'));

  const d = join(dir, 'opaque');
  mkdirSync(d);
  lsetxattr(d, 'trusted.overlay.opaque', Buffer.from('y'));
  assert.deepEqual(lgetxattr(d, 'trusted.overlay.opaque'), Buffer.from('y'));

  const l = join(dir, 'link');
  symlinkSync('file', l);
  lsetxattr(l, 'trusted.on-link', Buffer.from('L'));
  assert.deepEqual(lgetxattr(l, 'trusted.on-link'), Buffer.from('L'));
  assert.equal(lgetxattr(f, 'trusted.on-link'), undefined, 'the target is untouched');
});

test('paths that are not UTF-8 pass through byte for byte', () => {
  const raw = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x6e, 0xff, 0xfe])]);
  writeFileSync(raw, '');
  lsetxattr(raw, 'user.k', Buffer.from('v'));
  assert.deepEqual(lgetxattr(raw, 'user.k'), Buffer.from('v'));
  mknod(Buffer.concat([raw, Buffer.from('.fifo')]), 'fifo', 0o600);
  assert.ok(lstatSync(Buffer.concat([raw, Buffer.from('.fifo')])).isFIFO());
});

test('xattr errors name the path and the attribute', () => {
  assert.throws(() => lsetxattr(join(dir, 'nope'), 'user.x', Buffer.from('1')), {
    code: 'not-found',
    message: /lsetxattr ".*nope" user.x: no such file/,
  });
  assert.throws(() => lgetxattr(join(dir, 'nope'), 'user.x'), { code: 'not-found' });
});

test('fs.lutimesSync sets a symlink\'s own mtime (no libc call needed)', () => {
  const l = join(dir, 'timed-link');
  symlinkSync('/nonexistent-target', l);
  lutimesSync(l, 1_000_000, 1_234_567);
  assert.equal(lstatSync(l).mtimeMs, 1_234_567_000);
});
