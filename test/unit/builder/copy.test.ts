// COPY's source matching and copy semantics (fsutil's), on real directories: a plain directory
// stands in for the step's mounted root filesystem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, statSync, writeFileSync, linkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tempDir } from '../../helpers/temp-dir.ts';
import { ContextFs } from '../../../src/builder/context/context-fs.ts';
import { goMatch, hasWildcards } from '../../../src/builder/context/glob.ts';
import { IgnoreMatcher } from '../../../src/builder/context/ignore.ts';
import { cleanCopyPath, copySource, matchSource, OverlayRoot, planSource, PlainRoot } from '../../../src/builder/solver/file-copy.ts';
import { parseChmod } from '../../../src/builder/dockerfile/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

function tree(files: Record<string, string | { link: string }>): string {
  const dir = tempDir('strata-copy-src-');
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    if (typeof v === 'string') writeFileSync(join(dir, p), v);
    else symlinkSync(v.link, join(dir, p));
  }
  return dir;
}

function list(dir: string): string[] {
  return execFileSync('find', ['.', '-mindepth', '1'], { cwd: dir }).toString().trim().split('\n').filter(Boolean).map((p) => p.slice(2)).sort();
}

/** Copies `src` of a tree to `dest` in a fresh rootfs, COPY-style; returns the rootfs. */
function copy(src: string, files: Record<string, string | { link: string }>, dest: string, options: { rootfs?: string; chmod?: string; chown?: { uid: number; gid: number }; excludes?: string[] } = {}): string {
  const fs = new ContextFs(tree(files));
  const rootfs = options.rootfs ?? tempDir('strata-copy-root-');
  const excludes = options.excludes ? new IgnoreMatcher(options.excludes, '--exclude') : undefined;
  for (const m of matchSource(fs, src, { followSymlinks: true, allowWildcard: true })) {
    copySource(planSource(fs, m, excludes ? { excludes } : {}), {
      root: new PlainRoot(rootfs), dest: cleanCopyPath(dest), copyDirContents: true, resetOwner: true,
      ...(options.chmod ? { chmod: parseChmod(options.chmod) } : {}), ...(options.chown ? { chown: options.chown } : {}),
    });
  }
  return rootfs;
}

test('Go path.Match semantics for COPY wildcards', () => {
  const cases: [string, string, boolean][] = [
    ['*.js', 'a.js', true], ['*.js', 'dir/a.js', false], ['*', 'a/b', false], ['a?c', 'abc', true], ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true], ['[^a-c]x', 'bx', false], ['[!a-c]x', '!x', true], ['\\*', '*', true], ['\\*', 'a', false],
    ['src/*/main.go', 'src/cmd/main.go', true], ['*[', 'a', false], ['**', 'a/b', false], ['a*b*c', 'axxbyyc', true],
  ];
  for (const [pattern, name, want] of cases) assert.equal(goMatch(pattern, name), want, `${pattern} vs ${name}`);
  assert.equal(hasWildcards('a/b*'), true);
  assert.equal(hasWildcards('a/\\*'), false);
  assert.equal(hasWildcards('plain/path.txt'), false);
});

test('cleanCopyPath keeps a trailing slash (a directory) as BuildKit does', () => {
  assert.equal(cleanCopyPath('app/'), '/app/');
  assert.equal(cleanCopyPath('/a/../b'), '/b');
  assert.equal(cleanCopyPath('.'), '/');
  assert.equal(cleanCopyPath('x/.'), '/x/.');
});

test('a directory source copies its contents; the destination is created', () => {
  const root = copy('src/', { 'src/a.txt': 'a', 'src/sub/b.txt': 'b' }, '/app/');
  assert.deepEqual(list(root), ['app', 'app/a.txt', 'app/sub', 'app/sub/b.txt']);
  const root2 = copy('src', { 'src/a.txt': 'a' }, '/app');
  assert.deepEqual(list(root2), ['app', 'app/a.txt']);
});

test('a file copied to a path without a slash is renamed; onto an existing directory it lands inside', () => {
  const root = copy('a.txt', { 'a.txt': 'A' }, '/b.txt');
  assert.equal(readFileSync(join(root, 'b.txt'), 'utf8'), 'A');
  const rootfs = tempDir();
  mkdirSync(join(rootfs, 'existing'));
  copy('a.txt', { 'a.txt': 'A' }, '/existing', { rootfs });
  assert.equal(readFileSync(join(rootfs, 'existing', 'a.txt'), 'utf8'), 'A');
  const root3 = copy('a.txt', { 'a.txt': 'A' }, '/d/e/');
  assert.equal(readFileSync(join(root3, 'd', 'e', 'a.txt'), 'utf8'), 'A');
});

test('wildcards match per path element and take matched directories whole', () => {
  const files = { 'a.md': '1', 'b.md': '2', 'c.txt': '3', 'docs/d.md': '4', 'pkg-one/x': 'x', 'pkg-two/y': 'y' };
  assert.deepEqual(list(copy('*.md', files, '/out/')), ['out', 'out/a.md', 'out/b.md']);
  assert.deepEqual(list(copy('pkg-*', files, '/out/')), ['out', 'out/x', 'out/y']);
  // A wildcard that matches nothing copies nothing (BuildKit allows empty wildcards).
  assert.deepEqual(list(copy('*.none', files, '/out/')), []);
});

test('a missing plain source is a not-found error naming the path', () => {
  const fs = new ContextFs(tree({ 'a.txt': 'a' }));
  assert.throws(() => matchSource(fs, 'nothere.txt', { followSymlinks: true, allowWildcard: true }), (err) => isStrataError(err, 'not-found') && err.message === '"/nothere.txt": not found');
});

test('--chmod (octal and symbolic) and --chown apply to copied files, dirs and created parents', () => {
  const root = copy('src/', { 'src/run.sh': '#!', 'src/d/f': 'f' }, '/opt/app/', { chmod: '750', chown: { uid: 1234, gid: 99 } });
  for (const p of ['opt', 'opt/app', 'opt/app/run.sh', 'opt/app/d', 'opt/app/d/f']) {
    const st = statSync(join(root, p));
    assert.equal((st.mode & 0o7777).toString(8), '750', p);
    assert.equal(`${st.uid}:${st.gid}`, '1234:99', p);
  }
  const sym = copy('f', { f: 'x' }, '/f', { chmod: 'u+x,go-r' });
  assert.equal((statSync(join(sym, 'f')).mode & 0o777).toString(8), '700');
});

test('symlinks are copied as links; a symlinked source at the top is followed; hard links stay links', () => {
  const dir = tree({ 'real/file': 'content', 'dirlink': { link: 'real' }, 'real/rel': { link: 'file' } });
  linkSync(join(dir, 'real', 'file'), join(dir, 'real', 'hard'));
  const fs = new ContextFs(dir);
  const rootfs = tempDir();
  for (const m of matchSource(fs, 'dirlink', { followSymlinks: true, allowWildcard: true })) {
    copySource(planSource(fs, m, {}), { root: new PlainRoot(rootfs), dest: '/out', copyDirContents: true, resetOwner: true });
  }
  assert.deepEqual(list(rootfs), ['out', 'out/file', 'out/hard', 'out/rel']);
  assert.equal(readlinkSync(join(rootfs, 'out', 'rel')), 'file');
  assert.equal(lstatSync(join(rootfs, 'out', 'file')).ino, lstatSync(join(rootfs, 'out', 'hard')).ino);
});

test('mtimes are kept; owners of context files become root; a file never replaces a directory', () => {
  const dir = tree({ 'old.txt': 'x' });
  utimesSync(join(dir, 'old.txt'), 1_000_000_000, 1_000_000_000);
  const fs = new ContextFs(dir);
  const rootfs = tempDir();
  for (const m of matchSource(fs, 'old.txt', { followSymlinks: true, allowWildcard: false })) {
    copySource(planSource(fs, m, {}), { root: new PlainRoot(rootfs), dest: '/old.txt', copyDirContents: true, resetOwner: true });
  }
  assert.equal(statSync(join(rootfs, 'old.txt')).mtimeMs, 1_000_000_000_000);
  mkdirSync(join(rootfs, 'dir', 'x'), { recursive: true });
  const files = new ContextFs(tree({ f: 'f' }));
  const plan = planSource(files, matchSource(files, 'f', { followSymlinks: true, allowWildcard: false })[0] as never, {});
  // Copying a file to the path of an existing non-empty directory puts it inside the directory.
  copySource(plan, { root: new PlainRoot(rootfs), dest: '/dir', copyDirContents: true, resetOwner: true });
  assert.equal(readFileSync(join(rootfs, 'dir', 'f'), 'utf8'), 'f');
});

test('a symlink in the destination never sends a write outside the root filesystem', () => {
  const outside = tempDir('strata-outside-');
  const rootfs = tempDir();
  symlinkSync(outside, join(rootfs, 'escape'));
  symlinkSync('/etc', join(rootfs, 'etc-link'));
  copy('a.txt', { 'a.txt': 'A' }, '/escape/', { rootfs });
  copy('a.txt', { 'a.txt': 'A' }, '/etc-link/', { rootfs });
  assert.deepEqual(list(outside), []);
  // Both resolved inside the root: /escape → <rootfs><outside path>, /etc-link → <rootfs>/etc.
  assert.equal(readFileSync(join(rootfs, outside, 'a.txt'), 'utf8'), 'A');
  assert.equal(readFileSync(join(rootfs, 'etc', 'a.txt'), 'utf8'), 'A');
});

test('--exclude leaves out matching files and directories', () => {
  const root = copy('.', { 'a.js': '', 'a.test.js': '', 'node_modules/m/index.js': '', 'lib/b.js': '', 'lib/b.test.js': '' }, '/app/', { excludes: ['**/*.test.js', 'node_modules'] });
  assert.deepEqual(list(root), ['app', 'app/a.js', 'app/lib', 'app/lib/b.js']);
});

test('.dockerignore hides files, directories and everything below them, except what ! patterns bring back', () => {
  const dir = tree({ 'keep.txt': '', 'secret.env': '', 'logs/a.log': '', 'logs/keep.log': '', 'build/out/x': '', 'src/main.go': '' });
  const fs = new ContextFs(dir, new IgnoreMatcher(['*.env', 'logs', '!logs/keep.log', 'build']));
  const seen = [...fs.walk(fs.rootEntry())].map((e) => e.rel);
  assert.deepEqual(seen, ['keep.txt', 'logs', 'logs/keep.log', 'src', 'src/main.go']);
  assert.equal(fs.get('secret.env'), undefined);
  assert.equal(fs.get('build/out/x'), undefined);
  assert.ok(fs.get('logs/keep.log') !== undefined);
});

test('writing into an overlay upper directory: lower directories are copied up with their metadata, lower files shadowed, lower symlinks followed', () => {
  const lower = tempDir('strata-lower-');
  mkdirSync(join(lower, 'etc', 'app'), { recursive: true });
  writeFileSync(join(lower, 'etc', 'app', 'old.conf'), 'old');
  writeFileSync(join(lower, 'etc', 'passwd'), 'svc:x:77:88::/:/bin/sh\n');
  execFileSync('chown', ['123:456', join(lower, 'etc', 'app')]);
  execFileSync('chmod', ['0750', join(lower, 'etc', 'app')]);
  utimesSync(join(lower, 'etc', 'app'), 1_500_000_000, 1_500_000_000);
  symlinkSync('/etc/app', join(lower, 'conf'));
  writeFileSync(join(lower, 'file-in-way'), 'x');
  const upper = tempDir('strata-upper-');
  const root = new OverlayRoot(upper, lower);
  const fs = new ContextFs(tree({ 'new.conf': 'new', 'old.conf': 'replaced', 'sub/deep.txt': 'd' }));
  for (const m of matchSource(fs, '.', { followSymlinks: true, allowWildcard: false })) {
    copySource(planSource(fs, m, {}), { root, dest: '/conf/', copyDirContents: true, resetOwner: true });
  }
  // Only the changes are in the upper directory: the copied-up /etc and /etc/app, the new files.
  assert.deepEqual(list(upper), ['etc', 'etc/app', 'etc/app/new.conf', 'etc/app/old.conf', 'etc/app/sub', 'etc/app/sub/deep.txt']);
  // (Its mtime is now: entries were added to it, as through an overlay mount.)
  const app = statSync(join(upper, 'etc', 'app'));
  assert.equal(`${app.uid}:${app.gid} ${(app.mode & 0o7777).toString(8)}`, '123:456 750');
  assert.equal(readFileSync(join(upper, 'etc', 'app', 'old.conf'), 'utf8'), 'replaced');
  assert.equal(readFileSync(join(lower, 'etc', 'app', 'old.conf'), 'utf8'), 'old');
  assert.equal(root.read('/etc/passwd')?.toString(), 'svc:x:77:88::/:/bin/sh\n');
  // A file of a lower layer is not replaced by a directory.
  const dirSrc = new ContextFs(tree({ 'd/x': 'x' }));
  assert.throws(() => {
    for (const m of matchSource(dirSrc, 'd', { followSymlinks: true, allowWildcard: false })) {
      copySource(planSource(dirSrc, m, {}), { root, dest: '/file-in-way/', copyDirContents: true, resetOwner: true });
    }
  }, /not a directory/);
});
