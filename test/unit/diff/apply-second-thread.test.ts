// The threads of a large apply (src/diff/file-sink.ts, hash-thread.ts): they hash the stream
// and write new regular files while the main thread goes on. Each layer here is applied on one
// thread and with the threads from the first byte; the trees, diff_ids and sizes must agree.
// The layers put entries in the orders that force the main thread to wait for the second:
// a queued file replaced, linked, whited out, or hidden behind a symlink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../src/diff/index.ts';
import { StrataError } from '../../../src/errdefs/index.ts';
import { apply, directorySize, gnuExtract, layerTar, run, sha256, snapshot, tempDir } from './layer-helpers.ts';
import type { Entry } from './layer-helpers.ts';

const T = 1_600_000_000;
const dir = (name: string, o: Partial<Entry> = {}): Entry => ({ name: `${name}/`, type: 'directory', mode: 0o755, mtime: T, ...o });
const file = (name: string, body: string | Buffer = '', o: Partial<Entry> = {}): Entry => ({ name, type: 'file', mode: 0o644, mtime: T, body, ...o });
const sym = (name: string, target: string): Entry => ({ name, type: 'symlink', linkname: target, mode: 0o777, mtime: T });
const hard = (name: string, target: string): Entry => ({ name, type: 'hardlink', linkname: target, mode: 0o644, mtime: T });
const wh = (name: string): Entry => ({ name, type: 'file', mode: 0, mtime: 0, body: '' });

/**
 * Applies `layer` on one thread, then with the threads, in `chunk`-byte pieces and from a file
 * read straight into their ring, and checks all three agree.
 */
async function bothWays(layer: Buffer, chunk = 4096): Promise<void> {
  const root = tempDir();
  const one = join(root, 'one');
  const two = join(root, 'two');
  const file = join(root, 'file');
  mkdirSync(one);
  mkdirSync(two);
  mkdirSync(file);
  const a = await apply(layer, one, 'overlay', chunk, { secondThreadAfter: Infinity });
  const b = await apply(layer, two, 'overlay', chunk, { secondThreadAfter: 0 });
  const c = await apply(layer, file, 'overlay', chunk, { secondThreadAfter: 0, fromFile: true });
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  assert.equal(b.diffId, sha256(layer));
  assert.deepEqual(snapshot(two, true), snapshot(one, true));
  assert.deepEqual(snapshot(file, true), snapshot(one, true));
  assert.equal(b.size, directorySize(two));
}

const ORDERS: Array<[string, Entry[]]> = [
  ['a queued file replaced by a directory', [file('a', 'file first'), dir('a'), file('a/x', 'inside')]],
  ['a queued file written twice', [file('twice', 'first body'), file('twice', 'second', { mode: 0o600 })]],
  ['a hardlink to a queued file', [file('f', 'linked body'), hard('g', 'f'), file('h', 'after')]],
  ['a whiteout of a queued file', [dir('d'), file('d/w', 'gone'), wh('d/.wh.w'), file('d/kept', 'k')]],
  ['an opaque directory after queued files', [dir('o'), file('o/a', 'a'), wh('o/.wh..wh..opq'), file('o/b', 'b')]],
  ['a directory of queued files replaced by a symlink', [dir('d'), file('d/f', 'f'), dir('e'), sym('d', 'e'), file('d/g', 'through the link')]],
  ['a file under a missing parent, then the parent as a file', [file('p/q/r', 'deep'), file('p', 'now a file')]],
  ['setuid, odd modes and owners', [file('s', 'x', { mode: 0o4755 }), file('u', 'y', { mode: 0o640, uid: 1000, gid: 1001 }), file('z', 'z', { mode: 0o000 })]],
  ['empty files by the thousand', [dir('e'), ...Array.from({ length: 3000 }, (_, i) => file(`e/${i}`))]],
];

for (const [name, entries] of ORDERS) {
  test(`second thread: ${name}`, async () => {
    await bothWays(layerTar(entries));
  });
}

test('second thread: a path through a queued file fails as it does on one thread', async () => {
  // The thousands of files before keep the second thread busy, so 'p' is still queued when 'p/q' needs it.
  const layer = layerTar([dir('e'), ...Array.from({ length: 3000 }, (_, i) => file(`e/${i}`, 'x')), file('p', 'a file'), file('p/q', 'below it')]);
  const outcomes: string[] = [];
  for (const secondThreadAfter of [Infinity, 0]) {
    const target = join(tempDir(), 't');
    mkdirSync(target);
    await assert.rejects(apply(layer, target, 'overlay', 4096, { secondThreadAfter }), (err: unknown) => {
      outcomes.push((err as Error).message);
      return err instanceof StrataError;
    });
  }
  assert.equal(outcomes[1], outcomes[0]);
  assert.match(outcomes[0]!, /^layer entry "p\/q": "p" is not a directory$/);
});

test('second thread: a file larger than its ring, in pieces larger than it takes at once', async () => {
  const big = randomBytes(20 << 20);
  const layer = layerTar([dir('d'), ...Array.from({ length: 200 }, (_, i) => file(`d/small${i}`, randomBytes(i * 37))), file('big', big), file('tail', 'end')]);
  await bothWays(layer, 3 << 20); // 3 MiB pieces: more than the 2 MiB the sink copies at once
  await bothWays(layer, 777);
});

test('second thread: a failure names the entry, stops the apply, and the thread serves the next layer', async () => {
  const root = tempDir();
  const small = join(root, 'small');
  mkdirSync(small);
  run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
  try {
    const layer = layerTar(Array.from({ length: 64 }, (_, i) => file(`f${i}`, randomBytes(64 << 10))));
    await assert.rejects(
      applyLayer({ source: Readable.from([layer]), target: small, whiteouts: 'overlay', secondThreadAfter: 0 }),
      (err: unknown) => err instanceof StrataError && /^layer entry "f\d+": no space left on device$/.test(err.message),
    );
  } finally {
    run('umount', [small]);
  }
  const next = join(root, 'next');
  mkdirSync(next);
  const layer = layerTar([file('ok', 'fine')]);
  const stats = await applyLayer({ source: Readable.from([layer]), target: next, whiteouts: 'overlay', secondThreadAfter: 0 });
  assert.equal(stats.diffId, sha256(layer));
  assert.deepEqual(
    snapshot(next).map((n) => n.path),
    ['ok'],
  );
});

test('second thread: a target that is not empty keeps every file on the main thread, and still applies', async () => {
  const root = tempDir();
  const target = join(root, 't');
  mkdirSync(target);
  const layer = layerTar([file('existing', 'new body'), file('other', 'o')]);
  run('sh', ['-c', `echo old > ${target}/existing`]);
  const stats = await apply(layer, target, 'native', 4096, { secondThreadAfter: 0 });
  assert.equal(stats.diffId, sha256(layer));
  assert.equal(snapshot(target).find((n) => n.path === 'existing')?.content, sha256(Buffer.from('new body')));
});

test('without hashing (commit: the diff that writes the stream hashes it): the same tree and size, no diff_id', async () => {
  const layer = layerTar([dir('d'), ...Array.from({ length: 500 }, (_, i) => file(`d/f${i}`, randomBytes(i * 13))), file('big', randomBytes(3 << 20))]);
  const root = tempDir();
  const ref = join(root, 'ref');
  mkdirSync(ref);
  const expected = await apply(layer, ref, 'overlay', 4096, { secondThreadAfter: Infinity });
  for (const [name, secondThreadAfter] of [['one', Infinity], ['two', 0], ['late', 1 << 20]] as const) {
    const target = join(root, name);
    mkdirSync(target);
    const chunks: Buffer[] = [];
    for (let i = 0; i < layer.length; i += 65536) chunks.push(layer.subarray(i, i + 65536));
    const stats = await applyLayer({ source: Readable.from(chunks), target, whiteouts: 'overlay', secondThreadAfter, computeDiffId: false });
    assert.deepEqual(stats, { ...expected, diffId: '' }, name);
    assert.deepEqual(snapshot(target, true), snapshot(ref, true), name);
  }
});

test('names that need cleaning (//, ./, a trailing //, a leading /) land where GNU tar puts them, on every path', async () => {
  const layer = layerTar([
    dir('d'),
    file('d//x', 'double slash'),
    file('./d/./y', 'dot components'),
    { name: 'd/sub//', type: 'directory', mode: 0o750, mtime: T },
    file('/d/sub/z', 'leading slash'),
    file('d/.hidden', 'a dot file is not a dot component'),
    file('d/..dots', 'nor is ..dots'),
  ]);
  const root = tempDir();
  const ref = join(root, 'ref');
  mkdirSync(ref);
  gnuExtract(layer, ref);
  // GNU tar leaves d's mtime at "now" here (it restores a directory's time by the name it was
  // given, and these names differ); strata gives every directory the time its entry says.
  const withoutDirTimes = (nodes: ReturnType<typeof snapshot>): unknown[] => nodes.map((n) => (n.type === 'dir' ? { ...n, mtime: 0 } : n));
  for (const [name, secondThreadAfter, fromFile] of [['one', Infinity, false], ['two', 0, false], ['file', 0, true]] as const) {
    const target = join(root, name);
    mkdirSync(target);
    await apply(layer, target, 'overlay', 4096, { secondThreadAfter, fromFile });
    assert.deepEqual(withoutDirTimes(snapshot(target, true)), withoutDirTimes(snapshot(ref)), name);
    assert.deepEqual(snapshot(target, true).filter((n) => n.type === 'dir').map((n) => n.mtime), [T, T], name);
  }
});
