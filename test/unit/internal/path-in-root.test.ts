// One test per attack on "this path inside that root" (src/internal/path-in-root.ts), the
// resolver every container escape has to get past. Each builds a root beside an "outside"
// directory holding a secret, attacks, and checks that the answer stays inside the root
// and that nothing outside changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tempDir } from '../../helpers/temp-dir.ts';
import {
  cleanComponents, HostTree, MAXSYMLINKS, NAME_MAX, openInRoot, openResolved, PATH_MAX, PathInRootError, resolveInRoot, walkInRoot, type PathErrno,
} from '../../../src/internal/index.ts';
import { applyLayer } from '../../../src/diff/index.ts';
import { resolveInRootfs } from '../../../src/runtime/index.ts';
import { ContextFs } from '../../../src/builder/context/context-fs.ts';
import { OverlayRoot } from '../../../src/builder/solver/file-copy.ts';
import { encodeHeader, endOfArchive, paddingFor, type TarHeaderInit } from '../../../src/internal/tar/index.ts';

interface Arena {
  root: string;
  outside: string;
  /** Proves the outside directory still holds exactly its secret, unchanged. */
  check(): void;
}

function arena(): Arena {
  const dir = tempDir('strata-pir-');
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'untouched');
  return {
    root,
    outside,
    check() {
      assert.deepEqual(readdirSync(outside), ['secret'], 'nothing new outside');
      assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'untouched');
      assert.equal(lstatSync(join(outside, 'secret')).nlink, 1, 'no hardlink to the secret');
    },
  };
}

function throwsErrno(fn: () => unknown, errno: PathErrno, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PathInRootError, `a PathInRootError, got ${String(err)}`);
    assert.equal(err.errno, errno);
    assert.match(err.message, message);
    return true;
  });
}

/** A chain l0 → l1 → … → l(n-1) → real of `n` relative links, with `real` a directory. */
function linkChain(root: string, n: number, prefix: string): void {
  mkdirSync(join(root, `${prefix}real`));
  for (let i = 0; i < n; i++) symlinkSync(i === n - 1 ? `${prefix}real` : `${prefix}l${i + 1}`, join(root, `${prefix}l${i}`));
}

test('.. escapes stop at the root', () => {
  const a = arena();
  mkdirSync(join(a.root, 'etc'));
  assert.equal(resolveInRoot(a.root, '../../outside/secret'), join(a.root, 'outside/secret'));
  assert.equal(resolveInRoot(a.root, '/etc/../../../..'), a.root);
  assert.equal(resolveInRoot(a.root, 'etc/../../etc/passwd'), join(a.root, 'etc/passwd'));
  // Lexical cleaning refuses what resolution clamps: a name that says '..' above the root is bad input.
  assert.equal(cleanComponents('../x'), undefined);
  assert.deepEqual(cleanComponents('/a/./b/../c/'), ['a', 'c']);
  a.check();
});

test('an absolute symlink out is re-rooted', () => {
  const a = arena();
  symlinkSync(a.outside, join(a.root, 'evil'));
  symlinkSync('/', join(a.root, 'slash'));
  assert.equal(resolveInRoot(a.root, '/evil/secret'), join(a.root, a.outside, 'secret'));
  assert.equal(resolveInRoot(a.root, '/slash/../../outside/secret'), join(a.root, 'outside/secret'));
  assert.equal(resolveInRoot(a.root, 'slash'), a.root);
  a.check();
});

test('a relative symlink climbing out stops at the root', () => {
  const a = arena();
  mkdirSync(join(a.root, 'etc'));
  symlinkSync('../../../../../../outside', join(a.root, 'etc', 'up'));
  symlinkSync('../outside/secret', join(a.root, 'file-out'));
  assert.equal(resolveInRoot(a.root, '/etc/up/secret'), join(a.root, 'outside/secret'));
  assert.equal(resolveInRoot(a.root, '/file-out'), join(a.root, 'outside/secret'));
  // The link itself, when the last component is not to be followed (lstat, O_NOFOLLOW).
  assert.equal(resolveInRoot(a.root, '/file-out', { followLast: false }), join(a.root, 'file-out'));
  // A link in the middle is followed all the same.
  assert.equal(resolveInRoot(a.root, '/etc/up/secret', { followLast: false }), join(a.root, 'outside/secret'));
  a.check();
});

test('a symlink loop fails with ELOOP', () => {
  const a = arena();
  symlinkSync('b', join(a.root, 'a'));
  symlinkSync('a', join(a.root, 'b'));
  symlinkSync('self', join(a.root, 'self'));
  symlinkSync('/up/x', join(a.root, 'up'));
  for (const path of ['a/x', 'self', 'up']) {
    throwsErrno(() => resolveInRoot(a.root, path, { what: `open ${path}` }), 'ELOOP', new RegExp(`^open ${path}: too many levels of symbolic links$`));
  }
  // Not followed as the last component, a looping link is just a link.
  assert.equal(resolveInRoot(a.root, 'self', { followLast: false }), join(a.root, 'self'));
  a.check();
});

test(`a chain of ${MAXSYMLINKS + 1} links fails with ELOOP; ${MAXSYMLINKS} resolve (Linux's MAXSYMLINKS)`, () => {
  const a = arena();
  linkChain(a.root, MAXSYMLINKS, 'ok');
  linkChain(a.root, MAXSYMLINKS + 1, 'long');
  assert.equal(resolveInRoot(a.root, 'okl0/file'), join(a.root, 'okreal/file'));
  throwsErrno(() => resolveInRoot(a.root, 'longl0/file'), 'ELOOP', /too many levels of symbolic links/);
  a.check();
});

test(`every resolver of strata stops a chain of ${MAXSYMLINKS + 1} links: run's rootfs, cp, COPY's source and destination, layer apply`, async () => {
  const a = arena();
  linkChain(a.root, MAXSYMLINKS + 1, '');
  linkChain(a.root, MAXSYMLINKS, 'ok');
  const loop = /too many levels of symbolic links/;
  assert.throws(() => resolveInRootfs(a.root, '/l0/passwd'), loop, 'a container root filesystem (run, cp)');
  assert.equal(resolveInRootfs(a.root, '/okl0/passwd'), join(a.root, 'okreal/passwd'));
  const context = new ContextFs(a.root);
  assert.throws(() => context.resolve('l0/file'), loop, "COPY's source in a build context");
  assert.equal(context.resolve('okl0')?.rel, 'okreal');
  const upper = new OverlayRoot(a.root, undefined);
  assert.throws(() => upper.resolve('/l0/file'), loop, "COPY's destination in a step's layer");
  assert.equal(upper.resolve('/okl0/file'), join(a.root, 'okreal/file'));
  const tar = layerTar([{ name: 'l0/file', type: 'file', mode: 0o644, body: 'x' }]);
  await assert.rejects(applyLayer({ source: Readable.from([tar]), target: a.root, whiteouts: 'native' }), { code: 'invalid-argument', message: loop });
  a.check();
});

test('a name with a NUL byte is refused (EINVAL), never handed to a system call', () => {
  const a = arena();
  throwsErrno(() => resolveInRoot(a.root, 'etc/pass\0wd/../../outside'), 'EINVAL', /contains a NUL byte/);
  a.check();
});

test(`a component over NAME_MAX (${NAME_MAX} bytes) is refused (ENAMETOOLONG)`, () => {
  const a = arena();
  assert.equal(resolveInRoot(a.root, `d/${'n'.repeat(NAME_MAX)}`), join(a.root, 'd', 'n'.repeat(NAME_MAX)));
  throwsErrno(() => resolveInRoot(a.root, `d/${'n'.repeat(NAME_MAX + 1)}`), 'ENAMETOOLONG', /longer than the 255 bytes/);
  // Bytes, not characters: 128 two-byte characters are 256 bytes.
  throwsErrno(() => resolveInRoot(a.root, 'é'.repeat(128)), 'ENAMETOOLONG', /longer than the 255 bytes/);
  a.check();
});

test(`a path over PATH_MAX (${PATH_MAX} bytes) is refused (ENAMETOOLONG), also when symlinks build it up`, () => {
  const a = arena();
  throwsErrno(() => resolveInRoot(a.root, 'a/'.repeat(PATH_MAX / 2)), 'ENAMETOOLONG', /longer than the 4096 bytes/);
  // Each link's target is short enough; where they lead together is not.
  const deep = `${'d'.repeat(200)}/`.repeat(10);
  symlinkSync(deep, join(a.root, 'l1'));
  symlinkSync(`/l1/${deep}`, join(a.root, 'l2'));
  symlinkSync(`/l2/${deep}`, join(a.root, 'l3'));
  assert.equal(resolveInRoot(a.root, 'l2/x'), join(a.root, deep, deep, 'x'));
  throwsErrno(() => resolveInRoot(a.root, 'l3/x'), 'ENAMETOOLONG', /longer than the 4096 bytes/);
  // '..' that cleans away costs nothing: 10,000 of them are fine.
  assert.equal(resolveInRoot(a.root, `${'x/../'.repeat(10_000)}y`), join(a.root, 'y'));
  a.check();
});

test('existing: a missing or non-directory parent fails as Linux does (ENOENT, ENOTDIR)', () => {
  const a = arena();
  writeFileSync(join(a.root, 'file'), '');
  const tree = new HostTree(a.root, 'test');
  throwsErrno(() => walkInRoot(tree, 'missing/x', { what: 'open missing/x', existing: true }), 'ENOENT', /^open missing\/x: "missing" does not exist$/);
  throwsErrno(() => walkInRoot(tree, 'file/x', { what: 'open file/x', existing: true }), 'ENOTDIR', /^open file\/x: "file" is not a directory$/);
  throwsErrno(() => walkInRoot(tree, 'file', { what: 'cd file', existing: true, directory: true }), 'ENOTDIR', /"file" is not a directory/);
  // The last component may be missing: the caller is about to create it.
  assert.equal(walkInRoot(tree, 'new', { what: 'create new', existing: true }), 'new');
  // By default, the missing rest is taken as written.
  assert.equal(walkInRoot(tree, 'missing/x/../y', { what: 'mkdir -p' }), 'missing/y');
  a.check();
});

test('a directory swapped for a symlink between resolve and open (CVE-2018-15664)', () => {
  const a = arena();
  mkdirSync(join(a.root, 'dir'));
  writeFileSync(join(a.root, 'dir', 'file'), 'inside');
  const tree = new HostTree(a.root, 'test');
  const rel = walkInRoot(tree, '/dir/file', { what: 'open /dir/file' });
  assert.equal(rel, 'dir/file');
  // A process in the container swaps the directory for a link to the host's, with a file of the same name.
  renameSync(join(a.root, 'dir'), join(a.root, 'dir.old'));
  symlinkSync(a.outside, join(a.root, 'dir'));
  renameSync(join(a.outside, 'secret'), join(a.outside, 'file'));
  // The hazard: the host path resolved a moment ago now leads out, O_NOFOLLOW or not (it
  // guards the last component only).
  const host = join(a.root, rel);
  assert.equal(readFileSync(host, 'utf8'), 'untouched', 'a plain open follows the swapped link out');
  const plain = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW);
  closeSync(plain);
  // What the caller must do (or else keep the tree still, as cp freezes the container):
  // open with O_NOFOLLOW and check what was opened. openResolved does both and refuses.
  throwsErrno(() => openResolved(a.root, rel, constants.O_RDONLY, 'open /dir/file'), 'EXDEV', /^open \/dir\/file: the path changed while it was opened/);
  // Resolving again stays inside, where that file is not.
  assert.throws(() => openInRoot(a.root, '/dir/file', constants.O_RDONLY), { code: 'ENOENT' });
  renameSync(join(a.outside, 'file'), join(a.outside, 'secret'));
  a.check();
});

test('a file swapped for a symlink between resolve and open is not followed (O_NOFOLLOW)', () => {
  const a = arena();
  writeFileSync(join(a.root, 'passwd'), 'root:x:0:0::/:/bin/sh\n');
  const rel = walkInRoot(new HostTree(a.root, 'test'), '/passwd', { what: 'open /passwd' });
  renameSync(join(a.root, 'passwd'), join(a.root, 'passwd.old'));
  symlinkSync(join(a.outside, 'secret'), join(a.root, 'passwd'));
  assert.throws(() => openResolved(a.root, rel, constants.O_RDONLY, 'open /passwd'), { code: 'ELOOP' });
  // Unchanged, the file opens and is the one resolved.
  renameSync(join(a.root, 'passwd.old'), join(a.root, 'passwd'));
  const fd = openResolved(a.root, walkInRoot(new HostTree(a.root, 'test'), '/passwd', { what: 'open /passwd' }), constants.O_RDONLY, 'open /passwd');
  const buf = Buffer.alloc(64);
  assert.equal(buf.subarray(0, readSync(fd, buf)).toString(), 'root:x:0:0::/:/bin/sh\n');
  closeSync(fd);
  a.check();
});

/** A layer tar of entries, in order. */
function layerTar(entries: (TarHeaderInit & { body?: string })[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    parts.push(encodeHeader({ ...e, size: body?.length ?? 0 }));
    if (body !== undefined) parts.push(body, paddingFor(body.length));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

function applyTo(target: string, entries: (TarHeaderInit & { body?: string })[]): Promise<unknown> {
  return applyLayer({ source: Readable.from([layerTar(entries)]), target, whiteouts: 'native' });
}

test('hardlinks out of the tree: a target outside, through a symlink out, or a symlink out itself', async () => {
  const a = arena();
  const secret = join(a.outside, 'secret');
  // A target that names the outside with '..' is refused.
  await assert.rejects(applyTo(a.root, [{ name: 'h', type: 'hardlink', linkname: '../outside/secret' }]), {
    code: 'invalid-argument', message: /hardlink target "..\/outside\/secret" points outside the layer root/,
  });
  // An absolute target, or one through a planted symlink out, is looked up inside, where it is not.
  await assert.rejects(applyTo(a.root, [{ name: 'h', type: 'hardlink', linkname: secret }]), { code: 'invalid-argument', message: /does not exist/ });
  await assert.rejects(applyTo(a.root, [
    { name: 'out', type: 'symlink', linkname: a.outside },
    { name: 'h', type: 'hardlink', linkname: 'out/secret' },
  ]), { code: 'invalid-argument', message: /does not exist/ });
  // A hardlink to a symlink that points out links the symlink itself; its mode and owner are
  // not applied through it.
  const before = lstatSync(secret);
  await applyTo(a.root, [
    { name: 'ln', type: 'symlink', linkname: secret },
    { name: 'h2', type: 'hardlink', linkname: 'ln', mode: 0o777, uid: 4321, gid: 4321 },
  ]);
  assert.ok(lstatSync(join(a.root, 'h2')).isSymbolicLink());
  assert.equal(lstatSync(secret).mode, before.mode);
  assert.equal(lstatSync(secret).uid, before.uid);
  a.check();
});
