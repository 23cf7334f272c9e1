// How a read-only bind is made read-only: `rro` (docker 25's recursively read-only) where the
// kernel and the runtime can, a plain `ro` where that is as good, an error naming the mount
// where neither would do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrataError } from '../../../src/errdefs/index.ts';
import {
  needsRecursiveReadOnly, readOnlyOption, recursiveReadOnlySupport, recursiveReadOnlyUnsupported, type RecursiveReadOnly,
} from '../../../src/runtime/read-only-binds.ts';
import type { BindMount } from '../../../src/runtime/run-options.ts';
import { OciRuntime } from '../../../src/runtime/runc.ts';

const bind = (extra: Partial<BindMount> = {}): BindMount => ({ type: 'bind', source: '/src', destination: '/dst', readOnly: true, propagation: 'rprivate', ...extra });
const unsupported = (below: string[]): RecursiveReadOnly => ({ supported: false, reason: 'rro is not supported by runtime "old"', mountsBelow: new Map([['/src', below]]) });

test('which binds need rro: read-only, recursive, not bind-recursive=writable', () => {
  assert.equal(needsRecursiveReadOnly(bind()), true);
  assert.equal(needsRecursiveReadOnly(bind({ readOnlyForceRecursive: true })), true);
  assert.equal(needsRecursiveReadOnly(bind({ readOnly: false })), false);
  assert.equal(needsRecursiveReadOnly(bind({ nonRecursive: true })), false, 'bind-recursive=disabled: nothing below');
  assert.equal(needsRecursiveReadOnly(bind({ readOnlyNonRecursive: true })), false, 'bind-recursive=writable');
  assert.equal(needsRecursiveReadOnly({ type: 'tmpfs', destination: '/t', data: 'ro' }), false);
});

test('the read-only option: rro where it can be done, ro for the top only, none for read-write', () => {
  assert.equal(readOnlyOption(bind()), 'rro', 'assumed supported when not told');
  assert.equal(readOnlyOption(bind(), { supported: true }), 'rro');
  assert.equal(readOnlyOption(bind({ readOnlyForceRecursive: true }), { supported: true }), 'rro');
  assert.equal(readOnlyOption(bind({ readOnlyNonRecursive: true })), 'ro');
  assert.equal(readOnlyOption(bind({ nonRecursive: true })), 'ro');
  assert.equal(readOnlyOption(bind({ readOnly: false })), undefined);
});

test('without rro: plain ro when nothing is mounted below, else an error naming the mount', () => {
  assert.equal(readOnlyOption(bind(), unsupported([])), 'ro');
  assert.equal(readOnlyOption(bind({ readOnlyNonRecursive: true }), unsupported(['/src/sub'])), 'ro', 'writable below was asked for');
  assert.equal(readOnlyOption(bind({ nonRecursive: true }), unsupported(['/src/sub'])), 'ro', 'the mounts below are left out');
  const refused = (m: BindMount, support: RecursiveReadOnly, message: string): void => {
    assert.throws(() => readOnlyOption(m, support), (err) => {
      assert.ok(isStrataError(err, 'failed-precondition'));
      assert.equal(err.message, message);
      assert.match(err.hint ?? '', /bind-recursive=writable/);
      return true;
    });
  };
  refused(bind(), unsupported(['/src/sub']),
    'cannot make the bind mount of /src at /dst recursively read-only: rro is not supported by runtime "old", and /src/sub is mounted below it');
  refused(bind(), unsupported(['/src/a', '/src/b', '/src/c']),
    'cannot make the bind mount of /src at /dst recursively read-only: rro is not supported by runtime "old", and /src/a is mounted below it (and 2 more)');
  refused(bind({ readOnlyForceRecursive: true }), unsupported([]),
    'cannot make the bind mount of /src at /dst recursively read-only: rro is not supported by runtime "old"');
  refused(bind({ source: '/elsewhere' }), unsupported([]),
    'cannot make the bind mount of /elsewhere at /dst recursively read-only: rro is not supported by runtime "old"');
});

test('why rro is not supported: the kernel (5.12+), then the runtime\'s features', () => {
  const runc11 = ['rbind', 'ro', 'rro', 'rrw'];
  assert.equal(recursiveReadOnlyUnsupported('6.1.0-18-amd64', 'runc', runc11), undefined);
  assert.equal(recursiveReadOnlyUnsupported('5.12.0', 'runc', runc11), undefined);
  assert.equal(recursiveReadOnlyUnsupported('5.11.22-generic', 'runc', runc11), 'rro is not supported: kernel 5.11.22-generic is older than 5.12');
  assert.equal(recursiveReadOnlyUnsupported('4.19.0', 'runc', runc11), 'rro is not supported: kernel 4.19.0 is older than 5.12');
  assert.equal(recursiveReadOnlyUnsupported('6.1.0', 'crun', ['rbind', 'ro']), 'rro is not supported by runtime "crun"');
  assert.equal(recursiveReadOnlyUnsupported('6.1.0', 'runc', undefined), 'rro is not supported by runtime "runc": it does not list its features (runc 1.1 or later does)');
});

test('support for a set of mounts: the runtime is asked only when a mount needs rro; the mounts below come from the kernel\'s table', () => {
  let asked = 0;
  const old = { name: 'old', mountOptions: (): undefined => { asked++; return undefined; } };
  assert.deepEqual(recursiveReadOnlySupport([bind({ readOnly: false }), bind({ readOnlyNonRecursive: true })], '6.1.0', old), { supported: true });
  assert.equal(asked, 0);
  assert.deepEqual(recursiveReadOnlySupport([bind()], '6.1.0'), { supported: true }, 'no runtime to ask');

  // A real directory of its own (nothing mounted below), and / (where /proc is mounted).
  const dir = mkdtempSync(join(tmpdir(), 'strata-rro-unit-'));
  try {
    const support = recursiveReadOnlySupport([bind({ source: dir }), bind({ source: '/', destination: '/host' })], '6.1.0', old);
    assert.equal(asked, 1);
    assert.equal(support.supported, false);
    if (support.supported) return;
    assert.deepEqual(support.mountsBelow.get(dir), []);
    assert.ok(support.mountsBelow.get('/')?.includes('/proc'));
    assert.equal(readOnlyOption(bind({ source: dir }), support), 'ro');
    assert.throws(() => readOnlyOption(bind({ source: '/', destination: '/host' }), support), /cannot make the bind mount of \/ at \/host recursively read-only/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('runc 1.1 lists rro among its mount options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-rro-runc-'));
  try {
    const runc = OciRuntime.locate({ root: join(dir, 'state') });
    assert.ok(runc.mountOptions()?.includes('rro'), `runc features: ${JSON.stringify(runc.mountOptions())}`);
    assert.equal(recursiveReadOnlySupport([bind()], '6.1.0', runc).supported, true);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
