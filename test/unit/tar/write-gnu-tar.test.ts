// What strata's writer produces, GNU tar lists and extracts with the same metadata; and
// every header round-trips through the parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, readlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { encodeHeader, endOfArchive, paddingFor, TarParser, TarWriter } from '../../../src/internal/tar/index.ts';
import type { TarHeader, TarHeaderInit } from '../../../src/internal/tar/index.ts';
import { CAPABILITY, getXattrWithPython, parseAll, run, tempDir } from './tar-helpers.ts';

const LONG = `${'a'.repeat(120)}/${'b'.repeat(100)}/${'c'.repeat(90)}`; // 312 bytes

function archive(entries: Array<[TarHeaderInit, Buffer?]>): Buffer {
  const parts: Buffer[] = [];
  for (const [h, body] of entries) {
    parts.push(encodeHeader(h));
    if (body) parts.push(body, paddingFor(body.length));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

const ENTRIES: Array<[TarHeaderInit, Buffer?]> = [
  [{ name: 'dir/', type: 'directory', mode: 0o1755, mtime: 1_500_000_000, uid: 10, gid: 20 }],
  [{ name: 'dir/file.txt', type: 'file', size: 5, mode: 0o640, mtime: 1_500_000_001, uid: 300_000, gid: 300_001 }, Buffer.from('hello')],
  [{ name: 'dir/setuid', type: 'file', size: 0, mode: 0o4755, mtime: 1_500_000_002 }],
  [{ name: 'dir/link', type: 'symlink', linkname: 'file.txt', mtime: 1_500_000_003 }],
  [{ name: 'dir/hard', type: 'hardlink', linkname: 'dir/file.txt', mtime: 1_500_000_004 }],
  [{ name: 'dir/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666, mtime: 1_500_000_005 }],
  [{ name: 'dir/loop', type: 'block', devmajor: 7, devminor: 300, mode: 0o660, mtime: 1_500_000_006 }],
  [{ name: 'dir/fifo', type: 'fifo', mode: 0o600, mtime: 1_500_000_007 }],
  [{ name: 'dir/héllo wörld\nnewline', type: 'file', size: 1, mtime: 1_500_000_008 }, Buffer.from('u')],
  [{ name: 'dir/cap', type: 'file', size: 1, mtime: 1_500_000_009, xattrs: new Map([['security.capability', CAPABILITY], ['user.bin', Buffer.from([0, 0xff, 0x0a])]]) }, Buffer.from('c')],
  [{ name: `dir/${LONG}`, type: 'file', size: 2, mtime: 1_500_000_010 }, Buffer.from('lo')],
  [{ name: 'dir/longlink', type: 'symlink', linkname: LONG, mtime: 1_500_000_011 }],
];

test('GNU tar lists what the writer writes, with the same metadata', () => {
  const listing = run('tar', ['-tvf', '-', '--numeric-owner', '--utc', '--full-time'], { input: archive(ENTRIES) }).toString();
  const lines = listing.trimEnd().split('\n');
  assert.match(lines[0]!, /^drwxr-xr-t 10\/20 +0 2017-07-14 02:40:00 dir\/$/);
  assert.match(lines[1]!, /^-rw-r----- 300000\/300001 +5 2017-07-14 02:40:01 dir\/file.txt$/);
  assert.match(lines[2]!, /^-rwsr-xr-x 0\/0 +0 .* dir\/setuid$/);
  assert.match(lines[3]!, /^l.* dir\/link -> file.txt$/);
  assert.match(lines[4]!, /^h.* dir\/hard link to dir\/file.txt$/);
  assert.match(lines[5]!, /^crw-rw-rw- 0\/0 +1,3 .* dir\/null$/);
  assert.match(lines[6]!, /^brw-rw---- 0\/0 +7,300 .* dir\/loop$/);
  assert.match(lines[7]!, /^prw------- .* dir\/fifo$/);
  assert.ok(listing.includes(`dir/${LONG}`));
  assert.ok(listing.includes(`dir/longlink -> ${LONG}`));
});

test('GNU tar extracts what the writer writes: names, modes, owners, mtimes, links, devices, xattrs', () => {
  const out = tempDir();
  run('tar', ['-x', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', out, '-f', '-'], { input: archive(ENTRIES) });
  const st = (p: string) => lstatSync(join(out, p));
  assert.equal(st('dir').mode & 0o7777, 0o1755);
  assert.equal(st('dir').mtimeMs, 1_500_000_000_000);
  assert.deepEqual([st('dir').uid, st('dir').gid], [10, 20]);
  assert.equal(readFileSync(join(out, 'dir/file.txt'), 'utf8'), 'hello');
  assert.deepEqual([st('dir/file.txt').uid, st('dir/file.txt').gid], [300_000, 300_001]);
  assert.equal(st('dir/file.txt').mode & 0o7777, 0o640);
  assert.equal(st('dir/setuid').mode & 0o7777, 0o4755);
  assert.equal(readlinkSync(join(out, 'dir/link')), 'file.txt');
  assert.equal(st('dir/hard').ino, st('dir/file.txt').ino);
  assert.ok(st('dir/null').isCharacterDevice());
  assert.equal(st('dir/null').rdev, (1 << 8) | 3);
  assert.ok(st('dir/loop').isBlockDevice());
  assert.ok(st('dir/fifo').isFIFO());
  assert.equal(readFileSync(join(out, 'dir/héllo wörld\nnewline'), 'utf8'), 'u');
  assert.deepEqual(getXattrWithPython(join(out, 'dir/cap'), 'security.capability'), CAPABILITY);
  assert.deepEqual(getXattrWithPython(join(out, 'dir/cap'), 'user.bin'), Buffer.from([0, 0xff, 0x0a]));
  assert.equal(readFileSync(join(out, 'dir', LONG), 'utf8'), 'lo');
  assert.equal(readlinkSync(join(out, 'dir/longlink')), LONG);
});

test('every header round-trips through the parser', () => {
  const entries = parseAll(archive(ENTRIES));
  assert.equal(entries.length, ENTRIES.length);
  entries.forEach(({ header, body }, i) => {
    const [want, wantBody] = ENTRIES[i]!;
    assert.equal(header.name, want.name);
    assert.equal(header.type, want.type);
    assert.equal(header.mtime, want.mtime);
    assert.equal(header.uid, want.uid ?? 0);
    assert.equal(header.linkname, want.linkname ?? '');
    assert.equal(header.devmajor, want.devmajor ?? 0);
    assert.equal(header.devminor, want.devminor ?? 0);
    assert.deepEqual(body, wantBody ?? Buffer.alloc(0));
    assert.deepEqual(header.xattrs, want.xattrs ?? new Map());
    assert.deepEqual(header.pax, new Map());
  });
});

test('a 9 GiB size, uid 300000, a negative and a fractional mtime and a huge devmajor round-trip', () => {
  const size = 9 * 1024 ** 3;
  const bytes = encodeHeader({ name: 'huge', type: 'file', size, uid: 300_000, gid: 5_000_000, mtime: 1_700_000_000.25 });
  // GNU tar lists the header before it notices the body is missing.
  const listing = spawnSync('tar', ['-tvf', '-', '--numeric-owner'], { input: bytes }).stdout.toString();
  assert.match(listing, /300000\/5000000 9663676416 .* huge/);
  let seen: TarHeader | undefined;
  new TarParser({ onEntry: (h) => { seen = h; } }).write(bytes);
  assert.deepEqual(
    { size: seen!.size, uid: seen!.uid, gid: seen!.gid, mtime: seen!.mtime },
    { size, uid: 300_000, gid: 5_000_000, mtime: 1_700_000_000.25 },
  );
  const neg = parseAll(Buffer.concat([encodeHeader({ name: 'old', type: 'directory', mtime: -86_400.5 }), endOfArchive()]));
  assert.equal(neg[0]!.header.mtime, -86_400.5);
  const dev = parseAll(Buffer.concat([encodeHeader({ name: 'dev', type: 'char', devmajor: 4_000_000, devminor: 9 }), endOfArchive()]));
  assert.deepEqual([dev[0]!.header.devmajor, dev[0]!.header.devminor], [4_000_000, 9]);
});

test('names that are not UTF-8 round-trip byte for byte', () => {
  const raw = Buffer.from([0x66, 0xff, 0xfe, 0x2f, 0x67]); // "f\xff\xfe/g"
  const entries = parseAll(Buffer.concat([encodeHeader({ name: 'ignored', nameBytes: raw, type: 'file' }), endOfArchive()]));
  assert.deepEqual(entries[0]!.header.nameBytes, raw);
  assert.deepEqual(entries[0]!.header.pax.get('hdrcharset'), Buffer.from('BINARY'));
  const out = tempDir();
  mkdirSync(join(out, 'x'));
  run('tar', ['-x', '-C', join(out, 'x'), '-f', '-'], { input: Buffer.concat([encodeHeader({ name: 'd', nameBytes: Buffer.from([0x64, 0xff]), type: 'file' }), endOfArchive()]) });
  const names = run('ls', ['-b', join(out, 'x')]).toString().trim();
  assert.equal(names, 'd\\377');
});

test('output is deterministic and carries no host information', () => {
  const a = archive(ENTRIES);
  const b = archive(ENTRIES);
  assert.deepEqual(a, b);
  const bare = encodeHeader({ name: 'f', type: 'file' });
  assert.equal(bare.length, 512);
  assert.equal(bare.toString('latin1', 265, 329).replace(/\0/g, ''), ''); // no uname/gname
  assert.equal(bare.toString('latin1', 136, 147), '00000000000'); // mtime 0, not the clock
});

test('TarWriter respects backpressure and checks body sizes', async () => {
  const out = new PassThrough({ highWaterMark: 1024 });
  const received: Buffer[] = [];
  const writer = new TarWriter(out);
  const body = Buffer.alloc(1_000_000, 1);
  let waited = false;
  out.on('drain', () => { waited = true; });
  const pump = (async () => {
    for await (const chunk of out) received.push(chunk as Buffer);
  })();
  await writer.add({ name: 'a', type: 'file', size: body.length }, body);
  await writer.add({ name: 'b', type: 'file', size: 3 }, [Buffer.from('x'), Buffer.from('yz')]);
  await writer.finish();
  await pump;
  assert.ok(waited, 'the writer waited for drain at least once');
  const entries = parseAll(Buffer.concat(received), 4096);
  assert.equal(entries[0]!.body.length, body.length);
  assert.equal(entries[1]!.body.toString(), 'xyz');
  assert.equal(writer.bytesWritten, Buffer.concat(received).length);

  const w2 = new TarWriter(new PassThrough());
  await assert.rejects(w2.add({ name: 'long', type: 'file', size: 2 }, Buffer.from('abc')), { code: 'invalid-argument' });
  const w3 = new TarWriter(new PassThrough());
  await w3.writeHeader({ name: 'short', type: 'file', size: 10 });
  await w3.writeData(Buffer.from('12345'));
  await assert.rejects(w3.finish(), { code: 'invalid-argument', message: /short.*5 bytes.*10/ });
});

test('the writer refuses values no tar can hold', () => {
  assert.throws(() => encodeHeader({ name: 'a\0b', type: 'file' }), { code: 'invalid-argument' });
  assert.throws(() => encodeHeader({ name: 'a', type: 'file', uid: -1 }), { code: 'invalid-argument' });
  assert.throws(() => encodeHeader({ name: 'a', type: 'file', size: 1.5 }), { code: 'invalid-argument' });
  assert.throws(() => encodeHeader({ name: 'a', type: 'file', xattrs: new Map([['bad=name', Buffer.from('v')]]) }), { code: 'invalid-argument' });
  assert.throws(() => encodeHeader({ name: '', type: 'file' }), { code: 'invalid-argument' });
});

test('GNU tar sees one entry per header, the newline name quoted', () => {
  const out = tempDir();
  writeFileSync(join(out, 'x.tar'), archive(ENTRIES));
  const listing = run('tar', ['-tf', join(out, 'x.tar')]).toString();
  assert.equal(listing.split('\n').filter(Boolean).length, ENTRIES.length);
  assert.ok(listing.includes('dir/héllo wörld\\nnewline'), listing);
});
