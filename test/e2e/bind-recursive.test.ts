// Read-only binds are read-only all the way down, as in docker 25 (`rro`): `-v SRC:DST:ro`,
// `--mount type=bind,…,readonly` and read-only volumes make the mounts below their source
// read-only too, and `bind-recursive=` picks docker's other modes. A host directory with a
// tmpfs mounted below it shows the difference; real runc containers write into it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, mountsUnder, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();
const work = mkdtempSync(join(tmpdir(), 'strata-rro-'));
after(() => {
  for (const m of mountsUnder(work).reverse()) execFileSync('umount', ['-l', m]);
  rmSync(work, { recursive: true, force: true });
});

/** `host/top`, and `host/sub` with a tmpfs on it (holding `f`) over a file `beneath` the tmpfs hides. */
const host = join(work, 'host');
const sub = join(host, 'sub');
mkdirSync(sub, { recursive: true });
writeFileSync(join(host, 'top'), 'top\n');
writeFileSync(join(sub, 'beneath'), 'under the tmpfs\n');
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'strata-rro-test', sub]);
writeFileSync(join(sub, 'f'), 'host\n');

/** Runs `echo changed > PATH` in a container with the given mount flags. */
function write(mountArgs: string[], path: string): { status: number; stderr: string } {
  return strata(root, ['run', '--rm', ...mountArgs, BUSYBOX, 'sh', '-c', `echo changed > ${path}`]);
}

function assertRefused(r: { status: number; stderr: string }, what: string): void {
  assert.notEqual(r.status, 0, `${what}: the write went through`);
  assert.match(r.stderr, /Read-only file system/, what);
}

test('-v SRC:DST:ro: a mount below SRC is read-only too, and the host file stays as it was', () => {
  for (const args of [
    ['-v', `${host}:/host:ro`],
    ['--mount', `type=bind,src=${host},dst=/host,readonly`],
    ['--mount', `type=bind,src=${host},dst=/host,readonly,bind-recursive=enabled`],
    ['--mount', `type=bind,src=${host},dst=/host,readonly,bind-recursive=readonly`],
  ]) {
    assertRefused(write(args, '/host/sub/f'), `${args.join(' ')}: the submount`);
    assertRefused(write(args, '/host/top'), `${args.join(' ')}: the top`);
  }
  assert.equal(readFileSync(join(sub, 'f'), 'utf8'), 'host\n');
  assert.equal(readFileSync(join(host, 'top'), 'utf8'), 'top\n');
  // what the container sees: the submount's files, read-only
  assert.match(strataOk(root, ['run', '--rm', '-v', `${host}:/host:ro`, BUSYBOX, 'sh', '-c', 'cat /host/sub/f; grep " /host/sub " /proc/mounts']), /^host\nstrata-rro-test \/host\/sub tmpfs ro,/);
});

test('a read-write bind leaves the mounts below it writable', () => {
  assert.equal(write(['-v', `${host}:/host`], '/host/sub/f').status, 0);
  assert.equal(readFileSync(join(sub, 'f'), 'utf8'), 'changed\n');
  writeFileSync(join(sub, 'f'), 'host\n');
});

test('bind-recursive=writable: read-only at the top only, the mounts below stay writable (docker 24\'s ro)', () => {
  const args = ['--mount', `type=bind,src=${host},dst=/host,readonly,bind-recursive=writable`];
  assertRefused(write(args, '/host/top'), 'the top');
  try {
    assert.equal(write(args, '/host/sub/f').status, 0);
    assert.equal(readFileSync(join(sub, 'f'), 'utf8'), 'changed\n');
  } finally {
    writeFileSync(join(sub, 'f'), 'host\n');
  }
});

test('bind-recursive=disabled: the mounts below are not there at all', () => {
  for (const ro of ['', ',readonly']) {
    const out = strataOk(root, ['run', '--rm', '--mount', `type=bind,src=${host},dst=/host,bind-recursive=disabled${ro}`, BUSYBOX, 'sh', '-c', 'ls /host/sub; grep -c " /host/sub " /proc/mounts || true']);
    assert.equal(out, 'beneath\n0\n', `bind-recursive=disabled${ro}`);
  }
  assertRefused(write(['--mount', `type=bind,src=${host},dst=/host,bind-recursive=disabled,readonly`], '/host/sub/beneath'), 'read-only, not recursive');
});

test('a read-only volume: a mount inside it is read-only too', () => {
  strataOk(root, ['volume', 'create', 'rovol']);
  const inside = join(root, 'volumes', 'rovol', '_data', 'sub');
  mkdirSync(inside);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'strata-rro-vol', inside]);
  try {
    writeFileSync(join(inside, 'f'), 'volume\n');
    assertRefused(write(['-v', 'rovol:/data:ro'], '/data/sub/f'), '-v rovol:/data:ro');
    assertRefused(write(['--mount', 'type=volume,src=rovol,dst=/data,readonly'], '/data/sub/f'), '--mount type=volume,readonly');
    assert.equal(readFileSync(join(inside, 'f'), 'utf8'), 'volume\n');
    assert.equal(write(['-v', 'rovol:/data'], '/data/sub/f').status, 0, 'a read-write volume stays writable');
  } finally {
    execFileSync('umount', [inside]);
  }
  strataOk(root, ['volume', 'rm', 'rovol']);
});

test('cp into a read-only bind or volume is refused as docker refuses it; the host stays as it was', () => {
  const file = join(work, 'to-copy');
  writeFileSync(file, 'copied\n');
  const id = strataOk(root, ['create', '-v', `${host}:/host:ro`, '-v', 'cpvol:/ro:ro', BUSYBOX]).trim();
  const readOnlyRoot = strataOk(root, ['create', '--read-only', '-v', 'cpvol:/rw', BUSYBOX]).trim();
  try {
    for (const dest of ['/host/new', '/host/sub/f', '/host/sub/', '/ro/new']) {
      const r = strata(root, ['cp', file, `${id}:${dest}`]);
      assert.equal(r.status, 1, `${dest}: ${r.stderr}`);
      assert.equal(r.stderr, 'Error: mounted volume is marked read-only\n', dest);
      const tar = strata(root, ['cp', '-', `${id}:${dest.replace(/\/[^/]*$/, '') || '/'}`], { input: execFileSync('tar', ['-C', work, '-cf', '-', 'to-copy']) });
      assert.equal(tar.stderr, 'Error: mounted volume is marked read-only\n', `${dest} (tar)`);
    }
    assert.equal(readFileSync(join(sub, 'f'), 'utf8'), 'host\n');
    assert.deepEqual(execFileSync('ls', [host]).toString(), 'sub\ntop\n');
    // a read-write volume of a --read-only container takes files; its rootfs does not
    strataOk(root, ['cp', file, `${readOnlyRoot}:/rw/new`]);
    assert.equal(readFileSync(join(root, 'volumes', 'cpvol', '_data', 'new'), 'utf8'), 'copied\n');
    assert.equal(strata(root, ['cp', file, `${readOnlyRoot}:/tmp/new`]).stderr, 'Error: container rootfs is marked read-only\n');
  } finally {
    strataOk(root, ['rm', id, readOnlyRoot]);
    strataOk(root, ['volume', 'rm', 'cpvol']);
  }
});

test('build: RUN --mount=type=bind of the context (read-only) cannot write into a mount below the context', () => {
  const context = join(work, 'context');
  mkdirSync(join(context, 'sub'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'strata-rro-ctx', join(context, 'sub')]);
  writeFileSync(join(context, 'sub', 'f'), 'host\n');
  writeFileSync(join(context, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN --mount=type=bind,target=/ctx sh -c 'cat /ctx/sub/f; echo changed > /ctx/sub/f; echo changed > /ctx/top; true'\n`);
  const out = strata(root, ['build', '--progress', 'plain', '-t', 'ctest/rro-build:1', context]);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stderr, /can't create \/ctx\/sub\/f: Read-only file system/);
  assert.equal(readFileSync(join(context, 'sub', 'f'), 'utf8'), 'host\n');
  strataOk(root, ['rmi', 'ctest/rro-build:1']);
});

test('bad bind-recursive values: docker\'s message, exit 125, nothing created', () => {
  const cases: Array<[string, string]> = [
    [`type=bind,src=${host},dst=/host,readonly,bind-recursive=bogus`, 'invalid value for bind-recursive: bogus (must be "enabled", "disabled", "writable", or "readonly")'],
    [`type=bind,src=${host},dst=/host,bind-recursive=true`, 'invalid value for bind-recursive: true (must be "enabled", "disabled", "writable", or "readonly")'],
    [`type=volume,src=v,dst=/host,bind-recursive=writable`, "cannot mix 'bind-*' options with mount type 'volume'"],
    [`type=bind,src=${host},dst=/host,bind-recursive=writable`, 'mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive'],
    [`type=bind,src=${host},dst=/host,bind-recursive=readonly`, 'mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive'],
    [`type=bind,src=${host},dst=/host,readonly,bind-recursive=writable,bind-recursive=readonly`, 'mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive'],
  ];
  for (const [value, message] of cases) {
    for (const command of ['run', 'create']) {
      const r = strata(root, [command, '--mount', value, BUSYBOX, 'true']);
      assert.equal(r.status, 125, `${command} --mount ${value}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n')[0], `Error: invalid argument "${value}" for "--mount" flag: ${message}`);
    }
  }
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), '');
});

test('inspect records bind-recursive as docker does (HostConfig.Mounts[].BindOptions)', () => {
  const id = strataOk(root, ['create', '--mount', `type=bind,src=${host},dst=/host,readonly,bind-recursive=writable`, BUSYBOX]).trim();
  try {
    assert.equal(strataOk(root, ['inspect', '-f', '{{json .HostConfig.Mounts}}', id]).trim(),
      `[{"Type":"bind","Source":"${host}","Target":"/host","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}}]`);
  } finally {
    strataOk(root, ['rm', id]);
  }
});

test('a runtime without rro: refused when a mount lies below the source, plain ro when none does', () => {
  // runc 1.0 as it was: no `features` command, so no way to know (or do) rro.
  const oldRuntime = join(work, 'runc-1.0');
  writeFileSync(oldRuntime, '#!/bin/sh\nfor a in "$@"; do [ "$a" = features ] && { echo "No help topic for \'features\'" >&2; exit 1; }; done\nexec runc "$@"\n');
  chmodSync(oldRuntime, 0o755);
  const plain = join(work, 'plain');
  mkdirSync(plain);
  const runtime = ['--runtime', oldRuntime];

  const refused = strata(root, ['run', '--rm', ...runtime, '-v', `${host}:/host:ro`, BUSYBOX, 'true']);
  assert.equal(refused.status, 125, refused.stderr);
  assert.match(refused.stderr, new RegExp(`^Error: cannot make the bind mount of ${host} at /host recursively read-only: rro is not supported by runtime "runc-1.0"`));
  assert.match(refused.stderr, new RegExp(`${sub} is mounted below it`));
  assert.match(refused.stderr, /bind-recursive=writable/);

  assertRefused(write([...runtime, '-v', `${plain}:/p:ro`], '/p/x'), 'no mount below: plain ro');
  const forced = strata(root, ['run', '--rm', ...runtime, '--mount', `type=bind,src=${plain},dst=/p,readonly,bind-recursive=readonly`, BUSYBOX, 'true']);
  assert.equal(forced.status, 125, forced.stderr);
  assert.match(forced.stderr, /^Error: cannot make the bind mount of .* at \/p recursively read-only: rro is not supported by runtime/);
  assertRefused(write([...runtime, '--mount', `type=bind,src=${host},dst=/host,readonly,bind-recursive=writable`], '/host/top'), 'writable: the top');
  assert.equal(strataOk(root, ['ps', '-aq']), '', 'the failed --rm runs left nothing');
});
