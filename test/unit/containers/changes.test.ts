// `diff`'s change list on real overlayfs: a writable layer made by the kernel over lower
// layers, listed by moby's rules, and the native driver's tree comparison giving the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, unlinkSync, writeFileSync, appendFileSync, chmodSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { overlayChanges, treeChanges } from '../../../src/containers/index.ts';
import { mountAll, unmountAll } from '../../../src/mount/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** Two lower layers, and the tree a change script runs in through a real overlay mount. */
function overlayOf(change: (merged: string) => void): { upper: string; lowers: string[] } {
  const dir = tempDir('strata-changes-');
  const base = join(dir, 'base');
  const mid = join(dir, 'mid');
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const merged = join(dir, 'merged');
  for (const d of [base, mid, upper, work, merged]) mkdirSync(d);
  mkdirSync(join(base, 'bin'));
  writeFileSync(join(base, 'bin', 'vi'), 'vi');
  writeFileSync(join(base, 'bin', 'sh'), 'sh');
  mkdirSync(join(base, 'etc'));
  writeFileSync(join(base, 'etc', 'passwd'), 'root\n');
  mkdirSync(join(base, 'opt', 'old'), { recursive: true });
  writeFileSync(join(base, 'opt', 'old', 'f'), 'f');
  mkdirSync(join(mid, 'etc'));
  writeFileSync(join(mid, 'etc', 'hosts'), '');
  // Lower layers keep their directory times, so an untouched directory compares equal.
  for (const d of [join(base, 'bin'), join(base, 'etc'), join(mid, 'etc'), join(base, 'opt')]) utimesSync(d, 1_000_000, 1_000_000);
  mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${mid}:${base}`, `upperdir=${upper}`, `workdir=${work}`, 'index=off', 'redirect_dir=off', 'metacopy=off'] }], merged);
  try {
    change(merged);
  } finally {
    unmountAll(merged);
  }
  return { upper, lowers: [mid, base] };
}

test('additions, changes and deletions as docker lists them, every directory above a change as C', () => {
  const { upper, lowers } = overlayOf((m) => {
    mkdirSync(join(m, 'srv', 'new'), { recursive: true });
    writeFileSync(join(m, 'srv', 'new', 'f'), 'hi\n');
    unlinkSync(join(m, 'bin', 'vi'));
    writeFileSync(join(m, 'bin', 'busybox.txt'), 'x\n');
    appendFileSync(join(m, 'etc', 'passwd'), 'alice\n');
  });
  assert.deepEqual(overlayChanges(upper, lowers).map((c) => `${c.kind} ${c.path}`), [
    'C /bin', 'A /bin/busybox.txt', 'D /bin/vi', 'C /etc', 'C /etc/passwd', 'A /srv', 'A /srv/new', 'A /srv/new/f',
  ]);
});

test('a directory only copied up is listed once, above its changes; a file in an upper lower layer counts as existing', () => {
  const { upper, lowers } = overlayOf((m) => {
    chmodSync(join(m, 'etc', 'passwd'), 0o600);
    writeFileSync(join(m, 'etc', 'hosts'), '127.0.0.1 x\n');
  });
  assert.deepEqual(overlayChanges(upper, lowers).map((c) => `${c.kind} ${c.path}`), ['C /etc', 'C /etc/hosts', 'C /etc/passwd']);
});

test('every ancestor of a deep change is C, as docker 20.10 lists `chmod 600 /etc/app/sub/x` and a new file beside it', () => {
  const { upper, lowers } = overlayOf((m) => {
    mkdirSync(join(m, 'opt', 'old', 'deep', 'er'), { recursive: true });
  });
  // The directories made above are additions; a second container changes inside them.
  const second = overlayOf((m) => {
    chmodSync(join(m, 'opt', 'old', 'f'), 0o600);
  });
  assert.deepEqual(overlayChanges(upper, lowers).map((c) => `${c.kind} ${c.path}`), ['C /opt', 'C /opt/old', 'A /opt/old/deep', 'A /opt/old/deep/er']);
  assert.deepEqual(overlayChanges(second.upper, second.lowers).map((c) => `${c.kind} ${c.path}`), ['C /opt', 'C /opt/old', 'C /opt/old/f']);
});

test('a directory deleted and made again is opaque: listed as deleted (moby\'s overlay rule)', () => {
  const { upper, lowers } = overlayOf((m) => {
    rmSync(join(m, 'opt', 'old'), { recursive: true });
    mkdirSync(join(m, 'opt', 'old'));
    writeFileSync(join(m, 'opt', 'old', 'g'), 'g');
  });
  assert.deepEqual(overlayChanges(upper, lowers).map((c) => `${c.kind} ${c.path}`), ['C /opt', 'D /opt/old', 'A /opt/old/g']);
});

test('the native driver\'s full trees give the same list for the same change', () => {
  const dir = tempDir('strata-changes-');
  const lower = join(dir, 'lower');
  mkdirSync(join(lower, 'bin'), { recursive: true });
  writeFileSync(join(lower, 'bin', 'vi'), 'vi');
  writeFileSync(join(lower, 'keep'), 'k');
  const upper = join(dir, 'upper');
  execFileSync('cp', ['-a', `${lower}/.`, upper]);
  unlinkSync(join(upper, 'bin', 'vi'));
  writeFileSync(join(upper, 'bin', 'new'), 'n');
  mkdirSync(join(upper, 'srv'));
  writeFileSync(join(upper, 'keep'), 'changed');
  assert.deepEqual(treeChanges(upper, lower).map((c) => `${c.kind} ${c.path}`), ['C /bin', 'A /bin/new', 'D /bin/vi', 'C /keep', 'A /srv']);
  mkdirSync(join(lower, 'etc', 'app'), { recursive: true });
  writeFileSync(join(lower, 'etc', 'app', 'conf'), 'a');
  rmSync(upper, { recursive: true });
  execFileSync('cp', ['-a', `${lower}/.`, upper]);
  appendFileSync(join(upper, 'etc', 'app', 'conf'), 'more');
  assert.deepEqual(treeChanges(upper, lower).map((c) => `${c.kind} ${c.path}`), ['C /etc', 'C /etc/app', 'C /etc/app/conf']);
});
