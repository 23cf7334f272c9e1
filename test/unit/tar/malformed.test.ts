// Broken archives fail with a StrataError that names the entry (or the header's index and
// offset). Random and mutated input is fuzzed in test/fuzz/tar.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHeader, endOfArchive, paddingFor, readTarEntries, TarParser } from '../../../src/internal/tar/index.ts';
import { parseAll } from './tar-helpers.ts';

function sample(): Buffer {
  const body = Buffer.from('hello, world');
  return Buffer.concat([
    encodeHeader({ name: 'dir/', type: 'directory', mtime: 1 }),
    encodeHeader({ name: 'dir/file', type: 'file', size: body.length, mtime: 2 }),
    body,
    paddingFor(body.length),
    encodeHeader({ name: 'dir/long/'.repeat(40) + 'x', type: 'file', xattrs: new Map([['user.a', Buffer.from([0, 1])]]) }),
    endOfArchive(),
  ]);
}

test('an archive that ends without the two zero blocks is accepted (as GNU tar and Go do)', () => {
  const full = sample();
  const entries = parseAll(full.subarray(0, full.length - 1024));
  assert.equal(entries.length, 3);
});

test('a lone zero block at the very end is accepted; one followed by more entries is refused', () => {
  const full = sample();
  assert.equal(parseAll(full.subarray(0, full.length - 512)).length, 3);
  const bad = Buffer.concat([full.subarray(0, 512), Buffer.alloc(512), full.subarray(512)]);
  assert.throws(() => parseAll(bad), { code: 'data-loss', message: /a lone zero block at byte 512/ });
});

test('bytes after the end-of-archive marker are ignored', () => {
  assert.equal(parseAll(Buffer.concat([sample(), Buffer.from('trailing garbage')])).length, 3);
});

test('a truncated body fails naming the entry and the missing bytes', () => {
  const full = sample();
  assert.throws(() => parseAll(full.subarray(0, 1024 + 5)), {
    code: 'data-loss',
    message: /truncated tar archive: .* body of tar entry "dir\/file" \(#1\): 7 of 12 bytes missing/,
  });
});

test('a truncated header, padding or extended header fails', () => {
  const full = sample();
  assert.throws(() => parseAll(full.subarray(0, 700)), { code: 'data-loss', message: /inside header #1 at byte 512/ });
  assert.throws(() => parseAll(full.subarray(0, 1024 + 20)), { code: 'data-loss', message: /padding after tar entry "dir\/file"/ });
  assert.throws(() => parseAll(full.subarray(0, 1536 + 600)), { code: 'data-loss', message: /extended header/ });
  assert.throws(() => parseAll(full.subarray(0, 1536 + 1024)), { code: 'data-loss', message: /after an extended header/ });
});

test('an end right after the last body, before its padding, is an end (as Go\'s archive/tar reads it)', () => {
  const body = Buffer.from('FROM scratch\n');
  const cut = Buffer.concat([encodeHeader({ name: 'a', type: 'file', size: body.length }), body]);
  const names: string[] = [];
  const parser = new TarParser({ onEntry: (h) => names.push(h.name) });
  parser.write(cut);
  parser.end();
  assert.deepEqual(names, ['a']);
  assert.throws(() => parseAll(Buffer.concat([cut, Buffer.alloc(1)])), { code: 'data-loss', message: /padding after tar entry "a"/ });
});

test('a corrupted checksum fails naming the header index and offset', () => {
  const bad = Buffer.from(sample());
  bad[512 + 3]! ^= 0x20;
  assert.throws(() => parseAll(bad), { code: 'data-loss', message: /tar header #1 at byte 512: header checksum mismatch/ });
});

test('garbage at the start is "not a tar archive"', () => {
  assert.throws(() => parseAll(Buffer.alloc(1024, 0x41)), { code: 'invalid-argument', message: /not a tar archive/ });
});

function withField(start: number, text: string | Buffer): Buffer {
  const h = Buffer.from(encodeHeader({ name: 'victim', type: 'file', size: 0, mtime: 5 }));
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  bytes.copy(h, start);
  // re-sign the header so only the field is wrong
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return Buffer.concat([h, endOfArchive()]);
}

test('a non-numeric field fails naming the entry and the field', () => {
  assert.throws(() => parseAll(withField(124, '0000000001x\0')), {
    code: 'invalid-argument',
    message: /tar entry "victim" \(#0 at byte 0\): invalid size field/,
  });
  assert.throws(() => parseAll(withField(108, 'abc\0')), { code: 'invalid-argument', message: /invalid uid field/ });
});

test('a negative size (base-256) and an absurd one (past 2^53) are refused', () => {
  const neg = Buffer.alloc(12, 0xff); // -1 in base-256
  assert.throws(() => parseAll(withField(124, neg)), { code: 'invalid-argument', message: /victim.*negative size/ });
  const huge = Buffer.alloc(12, 0);
  huge[0] = 0x80;
  huge[3] = 0x01; // 2^64
  assert.throws(() => parseAll(withField(124, huge)), { code: 'invalid-argument', message: /invalid size field/ });
});

test('GNU sparse entries are refused with a clear error', () => {
  assert.throws(() => parseAll(withField(156, 'S')), { code: 'invalid-argument', message: /"victim".*GNU sparse file/ });
  const pax = encodeHeader({ name: 'psparse', type: 'file', pax: new Map([['GNU.sparse.major', Buffer.from('1')]]) });
  assert.throws(() => parseAll(Buffer.concat([pax, endOfArchive()])), { code: 'invalid-argument', message: /"psparse".*GNU sparse/ });
});

test('a malformed PAX record and an oversized extended header are refused', () => {
  const h = Buffer.from(encodeHeader({ name: 'p', type: 'file', pax: new Map([['comment', Buffer.from('x')]]) }));
  const body = h.subarray(512, 1024);
  body.write('99', 0, 'latin1'); // the record now claims 99 bytes
  assert.throws(() => parseAll(Buffer.concat([h, endOfArchive()])), { code: 'invalid-argument', message: /malformed PAX record/ });
  const big = Buffer.from(encodeHeader({ name: 'p', type: 'file', pax: new Map([['comment', Buffer.alloc(2 << 20, 0x61)]]) }));
  assert.throws(() => parseAll(big), { code: 'invalid-argument', message: /larger than the 1048576 bytes allowed/ });
});

test('a handler error passes through and the parser stays failed', () => {
  const p = new TarParser({ onEntry: () => { throw new Error('boom'); } });
  assert.throws(() => p.write(sample()), /boom/);
  assert.throws(() => p.write(Buffer.alloc(0)), /boom/);
});

test('readTarEntries yields entries and bodies, skipping unread bodies', async () => {
  async function* chunks(): AsyncGenerator<Buffer> {
    const all = sample();
    for (let i = 0; i < all.length; i += 100) yield all.subarray(i, i + 100);
  }
  const names: string[] = [];
  let fileBody = '';
  for await (const entry of readTarEntries(chunks())) {
    names.push(entry.header.name);
    if (entry.header.name === 'dir/file') for await (const c of entry.body) fileBody += c.toString();
  }
  assert.deepEqual(names, ['dir/', 'dir/file', 'dir/long/'.repeat(40) + 'x']);
  assert.equal(fileBody, 'hello, world');
  const truncated = async function* () { yield sample().subarray(0, 1030); };
  await assert.rejects(async () => { for await (const _ of readTarEntries(truncated())) { /* drain */ } }, { code: 'data-loss' });
});
