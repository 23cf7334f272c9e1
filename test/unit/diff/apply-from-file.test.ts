// A layer in a file (what load and image mount extract from the content store): an
// uncompressed one is read in place, straight into the apply threads' ring or one reused
// buffer; a compressed one is streamed through its decompressor. Either way the result is the
// one the same bytes give as a stream, and bad input fails the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { applyLayer } from '../../../src/diff/index.ts';
import { apply, layerTar, sha256, snapshot, tempDir } from './layer-helpers.ts';
import type { Entry } from './layer-helpers.ts';

const T = 1_600_000_000;
const file = (name: string, body: string | Buffer): Entry => ({ name, type: 'file', mode: 0o644, mtime: T, body });

/** A layer past the 2 MiB at which the threads start: a few hundred files and one larger than the ring's read size. */
const LARGE = layerTar([
  { name: 'd/', type: 'directory', mode: 0o755, mtime: T },
  ...Array.from({ length: 300 }, (_, i) => file(`d/f${i}`, randomBytes(5000 + i))),
  file('big', randomBytes(3 << 20)),
]);

function target(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

test('from a file: a layer past 2 MiB, with the threads by default, gives what the stream gives', async () => {
  const root = tempDir();
  const path = join(root, 'layer.tar');
  writeFileSync(path, LARGE);
  const fromStream = await apply(LARGE, target(root, 'stream'), 'overlay', 65536);
  const fromFile = await applyLayer({ source: { file: path }, target: target(root, 'file'), whiteouts: 'overlay' });
  assert.deepEqual(fromFile, fromStream);
  assert.equal(fromFile.diffId, sha256(LARGE));
  assert.equal(fromFile.tarSize, LARGE.length);
  assert.deepEqual(snapshot(join(root, 'file'), true), snapshot(join(root, 'stream'), true));
});

test('from a file: gzip is streamed through the decompressor, with the same diff_id', async () => {
  const root = tempDir();
  const path = join(root, 'layer.tar.gz');
  writeFileSync(path, gzipSync(LARGE));
  const stats = await applyLayer({ source: { file: path }, target: target(root, 't'), whiteouts: 'overlay' });
  assert.equal(stats.diffId, sha256(LARGE));
  assert.equal(stats.tarSize, LARGE.length);
});

test('from a file: a truncated layer fails naming the entry, on one thread and with the threads', async () => {
  const root = tempDir();
  const path = join(root, 'cut.tar');
  writeFileSync(path, LARGE.subarray(0, LARGE.length - 2_000_000));
  for (const secondThreadAfter of [Infinity, 0]) {
    await assert.rejects(applyLayer({ source: { file: path }, target: target(root, `t${secondThreadAfter}`), whiteouts: 'overlay', secondThreadAfter }), {
      code: 'data-loss',
      message: /in the body of tar entry "big"/,
    });
  }
});

test('from a file: the size limit holds (the layer is refused once past it)', async () => {
  const root = tempDir();
  const path = join(root, 'layer.tar');
  writeFileSync(path, LARGE);
  await assert.rejects(applyLayer({ source: { file: path }, target: target(root, 't'), whiteouts: 'overlay', maxTarSize: 1 << 20 }), {
    code: 'invalid-argument',
    message: /larger than the 1048576 bytes allowed/,
  });
});

test('from a file: a missing file is named; an empty one applies as the empty stream does', async () => {
  const root = tempDir();
  const missing = join(root, 'nope.tar');
  await assert.rejects(applyLayer({ source: { file: missing }, target: target(root, 'a'), whiteouts: 'overlay' }), (err: Error) => err.message.includes(JSON.stringify(missing)));
  const empty = join(root, 'empty.tar');
  writeFileSync(empty, '');
  // As a stream: no bytes at all is an empty archive (GNU tar and Go accept it).
  const asStream = await applyLayer({ source: Readable.from([]), target: target(root, 'b'), whiteouts: 'overlay' });
  const asFile = await applyLayer({ source: { file: empty }, target: target(root, 'c'), whiteouts: 'overlay' });
  assert.deepEqual(asFile, asStream);
});

test('from a file: a long apply lets the event loop run (a Ctrl-C handler, a progress timer)', async () => {
  const root = tempDir();
  const path = join(root, 'layer.tar');
  writeFileSync(path, layerTar([file('zeros', Buffer.alloc(80 << 20))]));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    await applyLayer({ source: { file: path }, target: target(root, 't'), whiteouts: 'overlay' });
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 2, `the event loop ran ${ticks} times during an 80 MiB apply`);
});
