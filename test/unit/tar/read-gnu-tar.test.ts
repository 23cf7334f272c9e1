// Archives written by real GNU tar in each of its formats parse to the right headers and bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, symlinkSync, linkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPABILITY, parseAll, run, setXattrWithPython, tempDir } from './tar-helpers.ts';
import type { ParsedEntry } from './tar-helpers.ts';

const MTIME = 1_600_000_000;
const LONG_DIR = 'd'.repeat(120);
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(150)}`; // > 255 bytes in all

function makeTree(): string {
  const root = tempDir();
  const src = join(root, 'src');
  mkdirSync(join(src, 'dir', 'sub'), { recursive: true });
  writeFileSync(join(src, 'dir', 'hello.txt'), 'hello world\n');
  writeFileSync(join(src, 'dir', 'empty'), '');
  writeFileSync(join(src, 'big'), Buffer.alloc(70_000, 7));
  symlinkSync('dir/hello.txt', join(src, 'link'));
  linkSync(join(src, 'dir', 'hello.txt'), join(src, 'hard'));
  run('mknod', [join(src, 'null'), 'c', '1', '3']);
  run('mknod', [join(src, 'blk'), 'b', '7', '200']);
  run('mkfifo', [join(src, 'fifo')]);
  writeFileSync(join(src, 'setuid'), '#!/bin/sh\n');
  run('chmod', ['4755', join(src, 'setuid')]);
  run('chmod', ['1777', join(src, 'dir', 'sub')]);
  chownSync(join(src, 'dir', 'hello.txt'), 1234, 5678);
  for (const p of ['dir/hello.txt', 'dir/empty', 'big', 'setuid', 'null', 'blk', 'fifo', 'dir/sub', 'dir']) {
    utimesSync(join(src, p), MTIME, MTIME);
  }
  return src;
}

function byName(entries: ParsedEntry[]): Map<string, ParsedEntry> {
  return new Map(entries.map((e) => [e.header.name, e]));
}

function gnuTar(format: string, src: string, extra: string[] = []): Buffer {
  return run('tar', [`--format=${format}`, '--numeric-owner', ...extra, '-cf', '-', '-C', src, '--sort=name', '.']);
}

function checkCommon(entries: ParsedEntry[], format: string): void {
  const m = byName(entries);
  const hello = m.get('./dir/hello.txt');
  assert.ok(hello, `${format}: hello.txt listed`);
  assert.equal(hello.header.type, 'file');
  assert.equal(hello.header.size, 12);
  assert.equal(hello.body.toString(), 'hello world\n');
  assert.equal(hello.header.mtime, MTIME);
  assert.equal(hello.header.uid, 1234);
  assert.equal(hello.header.gid, 5678);
  assert.equal(hello.header.mode, 0o644);
  const big = m.get('./big')!;
  assert.equal(big.body.length, 70_000);
  assert.ok(big.body.every((b) => b === 7));
  assert.equal(m.get('./dir/empty')!.body.length, 0);
  const link = m.get('./link')!;
  assert.equal(link.header.type, 'symlink');
  assert.equal(link.header.linkname, 'dir/hello.txt');
  const hard = m.get('./hard') ?? m.get('./dir/hello.txt');
  assert.ok(entries.some((e) => e.header.type === 'hardlink'), `${format}: one hardlink entry`);
  assert.ok(hard);
  assert.equal(m.get('./setuid')!.header.mode, 0o4755);
  assert.equal(m.get('./dir/sub/')!.header.type, 'directory');
  assert.equal(m.get('./dir/sub/')!.header.mode, 0o1777);
  if (format !== 'v7') {
    const nul = m.get('./null')!;
    assert.equal(nul.header.type, 'char');
    assert.deepEqual([nul.header.devmajor, nul.header.devminor], [1, 3]);
    const blk = m.get('./blk')!;
    assert.equal(blk.header.type, 'block');
    assert.deepEqual([blk.header.devmajor, blk.header.devminor], [7, 200]);
    assert.equal(m.get('./fifo')!.header.type, 'fifo');
  }
}

for (const format of ['gnu', 'posix', 'ustar', 'v7']) {
  test(`reads GNU tar --format=${format} archives, in any chunking`, () => {
    const src = makeTree();
    const archive = gnuTar(format, src, format === 'v7' ? ['--exclude=./null', '--exclude=./blk', '--exclude=./fifo'] : []);
    const whole = parseAll(archive);
    checkCommon(whole, format);
    for (const chunk of [1, 7, 511, 512, 513, 4096]) {
      const again = parseAll(archive, chunk);
      assert.deepEqual(again, whole, `chunk size ${chunk}`);
    }
  });
}

test('reads long names and link targets from GNU (L/K) and PAX archives', () => {
  const root = tempDir();
  const src = join(root, 'src');
  mkdirSync(join(src, LONG_DIR), { recursive: true });
  writeFileSync(join(src, LONG_FILE), 'x');
  symlinkSync(LONG_FILE, join(src, 'longlink'));
  for (const format of ['gnu', 'posix']) {
    const m = byName(parseAll(gnuTar(format, src)));
    assert.equal(m.get(`./${LONG_FILE}`)?.body.toString(), 'x', format);
    assert.equal(m.get('./longlink')?.header.linkname, LONG_FILE, format);
  }
  // ustar can hold a long name by splitting it into prefix + name.
  const splitSrc = join(root, 'split');
  mkdirSync(join(splitSrc, 'a'.repeat(90), 'b'.repeat(50)), { recursive: true });
  writeFileSync(join(splitSrc, 'a'.repeat(90), 'b'.repeat(50), 'c'.repeat(90)), 'y');
  const m = byName(parseAll(gnuTar('ustar', splitSrc)));
  assert.equal(m.get(`./${'a'.repeat(90)}/${'b'.repeat(50)}/${'c'.repeat(90)}`)?.body.toString(), 'y');
});

test('reads unicode and newline names, large uids and binary xattrs from PAX archives', () => {
  const root = tempDir();
  const src = join(root, 'src');
  mkdirSync(src);
  const names = ['héllo wörld.txt', 'line\nbreak', '日本語'];
  for (const n of names) writeFileSync(join(src, n), n);
  chownSync(join(src, names[0]!), 300_000, 300_001);
  writeFileSync(join(src, 'cap'), 'c');
  setXattrWithPython(join(src, 'cap'), 'security.capability', CAPABILITY);
  setXattrWithPython(join(src, 'cap'), 'user.bin', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]));
  const m = byName(parseAll(gnuTar('posix', src, ['--xattrs', '--xattrs-include=*'])));
  for (const n of names) assert.equal(m.get(`./${n}`)?.body.toString(), n);
  assert.equal(m.get(`./${names[0]}`)!.header.uid, 300_000);
  assert.equal(m.get(`./${names[0]}`)!.header.gid, 300_001);
  const cap = m.get('./cap')!.header;
  assert.deepEqual(cap.xattrs.get('security.capability'), CAPABILITY);
  assert.deepEqual(cap.xattrs.get('user.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]));
  // GNU tar's posix format records atime and ctime; they stay in `pax`, raw.
  assert.match(cap.pax.get('atime')?.toString() ?? '', /^[0-9]+(\.[0-9]+)?$/);
  // The GNU format can hold uid 300000 too (octal fits 7 digits up to 2097151).
  const g = byName(parseAll(gnuTar('gnu', src)));
  assert.equal(g.get(`./${names[0]}`)!.header.uid, 300_000);
});

test('reads GNU base-256 numbers (uid past 2097151)', () => {
  const root = tempDir();
  const src = join(root, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), 'z');
  chownSync(join(src, 'f'), 3_000_000, 4_000_000);
  const m = byName(parseAll(gnuTar('gnu', src)));
  assert.equal(m.get('./f')!.header.uid, 3_000_000);
  assert.equal(m.get('./f')!.header.gid, 4_000_000);
});

test('applies PAX global headers to the entries after them', () => {
  const root = tempDir();
  const src = join(root, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'a'), 'a');
  writeFileSync(join(src, 'b'), 'b');
  const archive = run('tar', ['--format=posix', '--pax-option=globexthdr.name=g,comment:=hello', '-cf', '-', '-C', src, 'a', 'b']);
  const entries = parseAll(archive);
  assert.deepEqual(entries.map((e) => e.header.name), ['a', 'b']);
  for (const e of entries) assert.deepEqual(e.header.pax.get('comment'), Buffer.from('hello'));
});
