// The same change gives the same diff_id: inode numbers, ctimes, atimes, creation order and
// host user names do not leak into the layer; SOURCE_DATE_EPOCH clamps mtimes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lutimesSync, mkdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffDirectories, diffOverlayUpper } from '../../../src/diff/index.ts';
import { collect, headers, tempDir } from './layer-helpers.ts';
import { eventually } from '../../helpers/eventually.ts';

const T = 1_650_000_000;

function build(root: string, reverse: boolean): void {
  const names = ['b', 'a', 'c-d', 'c'];
  mkdirSync(join(root, 'c'));
  for (const n of reverse ? [...names].reverse() : names) {
    if (n === 'c') continue;
    writeFileSync(join(root, n), `content of ${n}`);
  }
  writeFileSync(join(root, 'c', 'inner'), 'inner');
  symlinkSync('a', join(root, 'link'));
  for (const p of ['b', 'a', 'c-d', 'c/inner', 'c']) utimesSync(join(root, p), T, T);
}

test('two trees with the same content, made differently, diff to the same layer', async () => {
  const one = join(tempDir(), 'u');
  const two = join(tempDir(), 'u');
  mkdirSync(one);
  mkdirSync(two);
  build(one, false);
  // Other ctimes for the second tree: wait until the file system's clock has moved on.
  const tick = join(one, '..', 'tick');
  await eventually(() => {
    writeFileSync(tick, '');
    return statSync(tick).ctimeMs > statSync(join(one, 'a')).ctimeMs ? true : undefined;
  }, 10_000, 'the file system clock to tick');
  build(two, true);
  assert.notEqual(statSync(join(two, 'a')).ctimeMs, statSync(join(one, 'a')).ctimeMs, 'the trees differ in ctime');
  const epoch = T + 100; // the symlinks were made just now: clamp them
  const a = await collect((output) => diffOverlayUpper({ upper: one, output, sourceDateEpoch: epoch }));
  const b = await collect((output) => diffOverlayUpper({ upper: two, output, sourceDateEpoch: epoch }));
  assert.equal(a.stats.diffId, b.stats.diffId);
  assert.ok(a.tar.equals(b.tar));
  // Depth-first, siblings by name bytes; no uname/gname, no atime/ctime records.
  const hs = headers(a.tar);
  assert.deepEqual(hs.map((h) => h.name), ['a', 'b', 'c/', 'c/inner', 'c-d', 'link']);
  for (const h of hs) {
    assert.equal(h.uname, '');
    assert.equal(h.gname, '');
    assert.deepEqual(h.pax, new Map());
  }
});

test('SOURCE_DATE_EPOCH clamps every mtime, from the option or the environment', async () => {
  const root = join(tempDir(), 'u');
  mkdirSync(root);
  writeFileSync(join(root, 'now'), 'made now');
  utimesSync(root, T, T);
  mkdirSync(join(root, 'old'));
  utimesSync(join(root, 'old'), 1000, 1000);
  const viaOption = await collect((output) => diffOverlayUpper({ upper: root, output, sourceDateEpoch: 5000 }));
  assert.deepEqual(headers(viaOption.tar).map((h) => [h.name, h.mtime]), [['now', 5000], ['old/', 1000]]);
  process.env.SOURCE_DATE_EPOCH = '5000';
  try {
    const viaEnv = await collect((output) => diffOverlayUpper({ upper: root, output }));
    assert.equal(viaEnv.stats.diffId, viaOption.stats.diffId);
    process.env.SOURCE_DATE_EPOCH = 'yesterday';
    await assert.rejects(collect((output) => diffOverlayUpper({ upper: root, output })), { code: 'invalid-argument', message: /SOURCE_DATE_EPOCH/ });
  } finally {
    delete process.env.SOURCE_DATE_EPOCH;
  }
  const unclamped = await collect((output) => diffOverlayUpper({ upper: root, output }));
  assert.ok(headers(unclamped.tar)[0]!.mtime > 5000);
});

test('diffDirectories: nothing changed gives an empty layer; trustMetadata skips reading', async () => {
  const lower = join(tempDir(), 'l');
  const upper = join(tempDir(), 'u');
  mkdirSync(lower);
  mkdirSync(upper);
  build(lower, false);
  build(upper, true);
  lutimesSync(join(lower, 'link'), T, T);
  lutimesSync(join(upper, 'link'), T, T);
  const empty = await collect((output) => diffDirectories({ lower, upper, output, sourceDateEpoch: T }));
  assert.deepEqual(headers(empty.tar).map((h) => h.name), []);
  assert.equal(empty.stats.tarSize, 1024);
  // Same size and mtime, other bytes: found by reading, missed when trusting metadata.
  writeFileSync(join(upper, 'a'), 'content of X');
  utimesSync(join(upper, 'a'), T, T);
  const read = await collect((output) => diffDirectories({ lower, upper, output, sourceDateEpoch: T }));
  assert.ok(headers(read.tar).some((h) => h.name === 'a'));
  const trusted = await collect((output) => diffDirectories({ lower, upper, output, sourceDateEpoch: T, trustMetadata: true }));
  assert.ok(!headers(trusted.tar).some((h) => h.name === 'a'));
});
