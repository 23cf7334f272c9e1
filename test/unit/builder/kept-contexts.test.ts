// The kept context directories of tar builds (src/builder/context/kept-contexts.ts): one
// build at a time holds one (another gets none and unpacks into scratch space), a lock left by
// a process that is gone is taken over, and only the four most recently used are kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claimKeptContext, KEPT_CONTEXTS_DIR } from '../../../src/builder/context/kept-contexts.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('a kept context is held by one build at a time', () => {
  const root = tempDir();
  const first = claimKeptContext(root, 'Dockerfile\0app:1');
  assert.ok(first);
  assert.equal(claimKeptContext(root, 'Dockerfile\0app:1'), undefined, 'held by a live process (this one)');
  const other = claimKeptContext(root, 'Dockerfile\0other:1');
  assert.ok(other);
  assert.notEqual(other.dir, first.dir);
  first.release();
  first.release();
  const again = claimKeptContext(root, 'Dockerfile\0app:1');
  assert.equal(again?.dir, first.dir);
  again?.release();
  other.release();
  assert.deepEqual(readdirSync(root), [], 'claims that were never used leave nothing');
});

test('a lock naming a process that is gone does not keep the directory from the next build', () => {
  const root = tempDir();
  const held = claimKeptContext(root, 'x');
  assert.ok(held);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(`${held.dir}.lock`, dead);
  const taken = claimKeptContext(root, 'x');
  assert.equal(taken?.dir, held.dir);
  taken.release();
});

test('the four most recently used kept contexts stay; older ones go unless held', () => {
  const root = tempDir();
  const dirs: string[] = [];
  for (let i = 0; i < 5; i++) {
    const k = claimKeptContext(root, `label ${i}`);
    assert.ok(k);
    mkdirSync(k.dir);
    k.used();
    dirs.push(k.dir);
    // Used in order, a second apart.
    utimesSync(`${k.dir}.used`, 1_700_000_000 + i, 1_700_000_000 + i);
    if (i !== 1) k.release();
  }
  const left = (): string[] => readdirSync(join(root, KEPT_CONTEXTS_DIR)).filter((n) => /^[0-9a-f]{16}$/.test(n)).sort();
  const name = (i: number): string => dirs[i]!.slice(-16);
  // The fifth claim evicted the least recently used, label 0; label 1 is still held.
  assert.deepEqual(left(), [1, 2, 3, 4].map(name).sort());
  const sixth = claimKeptContext(root, 'label 5');
  assert.ok(sixth);
  mkdirSync(sixth.dir);
  sixth.used();
  assert.deepEqual(left(), [1, 3, 4, 5].map((i) => (i === 5 ? sixth.dir.slice(-16) : name(i))).sort(), 'label 2 went; label 1, held, stayed');
});
