import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMountPoint, mountAll, unmountAll, OVERLAY_MAX_LOWER } from '../../../src/mount/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('an overlay shows the stack top-down; writes go to the upper layer; whiteouts hide', () => {
  const dir = tempDir();
  const [l1, l2, upper, work, target] = ['l1', 'l2', 'upper', 'work', 'merged'].map((n) => join(dir, n)) as [string, string, string, string, string];
  for (const d of [l1, l2, upper, work, target]) mkdirSync(d);
  writeFileSync(join(l1, 'a'), 'from l1');
  writeFileSync(join(l1, 'gone'), 'deleted in l2');
  writeFileSync(join(l2, 'a'), 'from l2');
  execFileSync('mknod', [join(l2, 'gone'), 'c', '0', '0']);
  mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${l2}:${l1}`, `upperdir=${upper}`, `workdir=${work}`] }], target);
  try {
    assert.ok(isMountPoint(target));
    assert.equal(readFileSync(join(target, 'a'), 'utf8'), 'from l2');
    assert.equal(existsSync(join(target, 'gone')), false);
    writeFileSync(join(target, 'new'), 'written');
    assert.equal(readFileSync(join(upper, 'new'), 'utf8'), 'written');
    assert.equal(readFileSync(join(l1, 'a'), 'utf8'), 'from l1');
  } finally {
    unmountAll(target);
  }
  assert.equal(isMountPoint(target), false);
});

test(`a read-only overlay of ${OVERLAY_MAX_LOWER} layers mounts; one more is refused before mounting`, () => {
  const dir = tempDir();
  const lowers: string[] = [];
  for (let i = 0; i < OVERLAY_MAX_LOWER + 1; i++) {
    const d = join(dir, `layer-${String(i).padStart(3, '0')}-with-a-long-name-to-pass-a-page-of-options`);
    mkdirSync(d);
    writeFileSync(join(d, `f${i}`), String(i));
    lowers.push(d);
  }
  const target = join(dir, 'merged');
  mkdirSync(target);
  mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.slice(0, OVERLAY_MAX_LOWER).join(':')}`, 'ro'] }], target);
  try {
    assert.equal(readdirSync(target).length, OVERLAY_MAX_LOWER);
  } finally {
    unmountAll(target);
  }
  assert.throws(() => mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`, 'ro'] }], target), /at most 500 layers/);
  assert.equal(isMountPoint(target), false);
});

test('bind mounts, read-only when asked', () => {
  const dir = tempDir();
  const source = join(dir, 'src');
  const target = join(dir, 'dst');
  mkdirSync(source);
  mkdirSync(target);
  writeFileSync(join(source, 'f'), 'x');
  mountAll([{ type: 'bind', source, options: ['rbind', 'ro'] }], target);
  try {
    assert.equal(readFileSync(join(target, 'f'), 'utf8'), 'x');
    assert.throws(() => writeFileSync(join(target, 'g'), 'y'), /EROFS/);
  } finally {
    unmountAll(target);
  }
});
