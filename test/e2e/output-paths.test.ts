// Where `save`, `export`, `cp` and `build --iidfile` write on the host: a path docker's CLI
// refuses is refused in its words, a write that fails (read-only or full filesystem, /dev/full
// as stdout) says which path and why, exit status 1; no temporary file is left, an existing
// file is kept whole, and no device is replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { mountTmpfs } from '../helpers/tmpfs.ts';
import { storeContents } from '../helpers/store-contents.ts';
import { BUSYBOX, mountsUnder, storeWithBusybox, strata, strataOk, STRATA_BIN } from './containers-fixture.ts';

const root = storeWithBusybox();
const container = strataOk(root, ['create', '--name', 'source', BUSYBOX, 'true']).trim();
const dir = tempDir();
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
const link = join(dir, 'link');
symlinkSync(join(dir, 'nowhere'), link);
const plain = join(dir, 'plain-file');
writeFileSync(plain, 'a file\n');
const readOnly = mountTmpfs({ size: '1m', readOnly: true });
// Room for a small file, not for an image or a container's tree (busybox alone is ~2 MB).
const full = mountTmpfs({ size: '256k' });

/** Runs the CLI with its stdout on /dev/full. */
function toDevFull(args: string[]): { status: number | null; stderr: string } {
  const fd = openSync('/dev/full', 'w');
  try {
    // The timeout only stops a hang (export used to wait forever on a full stdout).
    const r = spawnSync(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root }, stdio: ['ignore', fd, 'pipe'], timeout: 120_000 });
    return { status: r.status, stderr: r.stderr.toString() };
  } finally {
    closeSync(fd);
  }
}

function refused(args: string[], stderr: string): void {
  const before = storeContents(root);
  const r = strata(root, args);
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr, stderr, args.join(' '));
  assert.deepEqual(storeContents(root), before, `${args.join(' ')} changed the store`);
}

function assertDevFullIntact(): void {
  assert.ok(statSync('/dev/full').isCharacterDevice(), '/dev/full is still a device');
}

test('save -o and export -o: docker\'s checks and words, failures that name the path, nothing left behind', () => {
  // Both work where they can write (an export leaves the container's mount point directory).
  const fine = tempDir();
  strataOk(root, ['save', '-o', join(fine, 'image.tar'), BUSYBOX]);
  strataOk(root, ['export', '-o', join(fine, 'tree.tar'), container]);
  assert.ok(statSync(join(fine, 'image.tar')).size > 1_000_000 && statSync(join(fine, 'tree.tar')).size > 1_000_000);
  writeFileSync(join(full, 'old.tar'), 'the previous archive\n');
  const cases: [path: string, problem: string][] = [
    [join(dir, 'missing', 'x.tar'), `invalid output path: stat ${join(dir, 'missing')}: no such file or directory`],
    [join(plain, 'x.tar'), `invalid output path: stat ${plain}: not a directory`],
    [dir, 'cannot write to a directory'],
    ['/dev/full', 'cannot write to a character device file'],
    [fifo, 'cannot write to a named pipe (FIFO)'],
    [link, 'cannot write to a symbolic link directly'],
    [join(readOnly, 'x.tar'), `open ${join(readOnly, 'x.tar')}: read-only file system`],
    [join(full, 'x.tar'), `write ${join(full, 'x.tar')}: no space left on device`],
    [join(full, 'old.tar'), `write ${join(full, 'old.tar')}: no space left on device`],
  ];
  for (const [path, problem] of cases) {
    refused(['save', '-o', path, BUSYBOX], `Error: failed to save image: ${problem}\n`);
    refused(['export', '-o', path, container], `Error: failed to export container: ${problem}\n`);
  }
  assertDevFullIntact();
  assert.deepEqual(readdirSync(full), ['old.tar'], 'no temporary file is left');
  assert.equal(readFileSync(join(full, 'old.tar'), 'utf8'), 'the previous archive\n', 'a failed write keeps the old file');
  assert.deepEqual(readdirSync(dir).sort(), ['fifo', 'link', 'plain-file']);
  assert.deepEqual(mountsUnder(root), [], 'export unmounted the container\'s tree');
  // A bad path is refused before the image or container is looked up, as docker does.
  refused(['save', '-o', join(dir, 'missing', 'x.tar'), 'no-such-image'], `Error: failed to save image: invalid output path: stat ${join(dir, 'missing')}: no such file or directory\n`);
});

test('save, export and cp - with stdout on a full device say so and stop', () => {
  for (const args of [['save', BUSYBOX], ['export', container], ['cp', `${container}:/bin/busybox`, '-']]) {
    const r = toDevFull(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, 'Error: write /dev/stdout: no space left on device\n', args.join(' '));
  }
  assertDevFullIntact();
  assert.deepEqual(mountsUnder(root), []);
});

test('cp out of a container: docker\'s destination checks, and a full or read-only disk named', () => {
  const cases: [dest: string, stderr: string][] = [
    [join(dir, 'missing', 'busybox'), `Error: invalid output path: directory "${join(dir, 'missing')}" does not exist\n`],
    [join(plain, 'busybox'), `Error: stat ${join(plain, 'busybox')}: not a directory\n`],
    ['/dev/full', 'Error: invalid output path: "/dev/full" must be a directory or a regular file: got a device\n'],
    [fifo, `Error: invalid output path: "${fifo}" must be a directory or a regular file: got an irregular file\n`],
    [join(readOnly, 'busybox'), `Error: copy to ${join(readOnly, 'busybox')}: read-only file system\n`],
    [join(full, 'busybox'), `Error: copy to ${join(full, 'busybox')}: no space left on device\n`],
  ];
  for (const [dest, stderr] of cases) refused(['cp', `${container}:/bin/busybox`, dest], stderr);
  assertDevFullIntact();
  assert.deepEqual(mountsUnder(root), []);
});

test('build --iidfile that cannot be written is refused before anything is built', () => {
  const context = join(dir, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo built > /built\n`);
  refused(['build', '-q', '--iidfile', join(dir, 'missing', 'iid'), context], `Error: open ${join(dir, 'missing', 'iid')}: no such file or directory\n`);
  refused(['build', '-q', '--iidfile', join(plain, 'iid'), context], `Error: open ${join(plain, 'iid')}: not a directory\n`);
  refused(['build', '-q', '--iidfile', dir, context], `Error: removing image ID file: remove ${dir}: is a directory\n`);
  // The image is built before its ID is written: a full disk there fails the command, as docker's.
  const filled = mountTmpfs({ size: '64k' });
  spawnSync('dd', ['if=/dev/zero', `of=${join(filled, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
  const r = strata(root, ['build', '-q', '--iidfile', join(filled, 'iid'), context]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, `Error: write ${join(filled, 'iid')}: no space left on device\n`);
});
