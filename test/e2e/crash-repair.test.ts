// What a command killed at one exact durable step (STRATA_CRASH_AT, docs/DURABILITY.md)
// leaves, and that `system check` names it and `--repair` removes it: the defects the
// crash-point matrix (crash-points.test.ts) found, one test each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { tempDir } from '../helpers/temp-dir.ts';
import { writeLayeredArchive } from '../helpers/layered-archive.ts';
import { checkOf, quiet, runCli } from '../helpers/crash-run.ts';
import { BUSYBOX, canRunContainers, mountsUnder, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = canRunContainers() ? storeWithBusybox() : '';

function containerIds(): string[] {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM containers').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}

/** The names content/index.json lists, and whether every manifest it lists is a stored blob. */
function indexOf(): { names: string[]; complete: boolean } {
  const index = JSON.parse(readFileSync(join(root, 'content', 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  return {
    names: index.manifests.map((m) => m.annotations?.['io.containerd.image.name'] ?? m.digest),
    complete: index.manifests.every((m) => existsSync(join(root, 'content', 'blobs', 'sha256', m.digest.slice('sha256:'.length)))),
  };
}

test('a load killed after its records committed, before it rewrote index.json: check names index.json, --repair rewrites it from the records', { skip: !canRunContainers() && 'needs root and runc (the store is made with containers in mind)' }, async () => {
  const archive = join(tempDir(), 'image.tar');
  await writeLayeredArchive(archive, [[{ name: 'loaded.txt', type: 'file', body: Buffer.from('loaded\n') }]], 'crash/index:1');
  // The load's steps, counted on a copy of the store: the commit of its records is the
  // database commit just before the first rewrite of index.json.
  const copy = join(tempDir(), 'store');
  execFileSync('cp', ['-a', root, copy]);
  const trace = join(tempDir(), 'steps');
  runCli(copy, ['load', '-i', archive], { STRATA_CRASH_TRACE: trace });
  const steps = readFileSync(trace, 'utf8').trim().split('\n');
  const commits = steps.slice(0, steps.indexOf('index-write')).filter((s) => s === 'db-commit').length;
  assert.ok(commits > 0, steps.join(' '));
  const crashed = runCli(root, ['load', '-i', archive], { STRATA_CRASH_AT: `db-commit:${commits}` });
  assert.equal(crashed.signal, 'SIGKILL');
  assert.ok(!indexOf().names.includes('docker.io/crash/index:1'), 'index.json does not name the image yet');
  const id = strataOk(root, ['images', '-q', 'crash/index:1']);
  assert.notEqual(id, '', 'the records hold the image');
  const found = checkOf(root);
  assert.equal(found.status, 1);
  assert.ok(found.lines.includes('leftover: content/index.json: it does not list what the image records hold'), found.lines.join('\n'));
  const repaired = checkOf(root, true);
  assert.equal(repaired.status, 0, repaired.stdout);
  assert.ok(repaired.lines.includes('repaired: removed content/index.json: it does not list what the image records hold'), repaired.lines.join('\n'));
  assert.deepEqual(indexOf(), { names: ['docker.io/crash/index:1', 'docker.io/ctest/busybox:1'], complete: true });
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  assert.equal(strataOk(root, ['images', '-q', 'crash/index:1']), id);
  strataOk(root, ['rmi', 'crash/index:1']);
});

test('a cp killed with the container\'s layers mounted: check names the mount, --repair unmounts it', { skip: !canRunContainers() && 'needs root and runc to run containers' }, () => {
  const id = strataOk(root, ['create', BUSYBOX, 'true']).trim();
  const file = join(tempDir(), 'copied.txt');
  writeFileSync(file, 'copied\n');
  const crashed = runCli(root, ['cp', file, `${id}:/tmp/copied.txt`], { STRATA_CRASH_AT: 'mount:1' });
  assert.equal(crashed.signal, 'SIGKILL');
  const rootfs = `containers/${id}/rootfs`;
  assert.deepEqual(mountsUnder(root), [join(root, rootfs)]);
  const found = checkOf(root);
  assert.deepEqual([found.status, found.lines], [1, [`leftover: mount ${rootfs}: its process (${crashed.pid}) is gone`]]);
  const repaired = checkOf(root, true);
  assert.deepEqual([repaired.status, repaired.lines], [0, [`repaired: removed mount ${rootfs}: its process (${crashed.pid}) is gone`]]);
  assert.deepEqual(mountsUnder(root), []);
  strataOk(root, ['cp', file, `${id}:/tmp/copied.txt`]);
  strataOk(root, ['rm', id]);
});

test('a foreground run killed just after its container started, which exits at once: the supervisor still does the clean-up', { skip: !canRunContainers() && 'needs root and runc to run containers' }, async () => {
  // `true` exits before the killed CLI is gone, so the supervisor's exit line still reaches
  // the pipe: the supervisor must not take that for the CLI's promise to clean up. Twice
  // each, as the two can finish in either order.
  for (const autoRemove of [true, false, true, false]) {
    const what = autoRemove ? '--rm' : 'without --rm';
    const before = containerIds();
    const crashed = runCli(root, ['run', ...(autoRemove ? ['--rm'] : []), BUSYBOX, 'true'], { STRATA_CRASH_AT: 'container-start:1' });
    assert.equal(crashed.signal, 'SIGKILL');
    await quiet(root);
    // Nothing has looked at the container since (a look unmounts): what is done, the supervisor did.
    assert.deepEqual(mountsUnder(root), [], `${what}: its layers stay mounted`);
    const added = containerIds().filter((id) => !before.includes(id));
    assert.equal(added.length, autoRemove ? 0 : 1, `${what}: containers left: ${added.join(', ')}`);
    if (!autoRemove) strataOk(root, ['rm', ...added]);
  }
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

test('a STRATA_CRASH_AT that names no step is refused before the command runs, naming the variable', { skip: !canRunContainers() && 'needs root and runc (the store is made with containers in mind)' }, () => {
  const r = runCli(root, ['tag', BUSYBOX, 'crash/never:1'], { STRATA_CRASH_AT: 'mount' });
  assert.deepEqual([r.status, r.signal], [1, null]);
  assert.match(r.stderr, /^Error: STRATA_CRASH_AT="mount": expected <point>:<n> \(n from 1\), where <point> is any or one of blob-write, [a-z, -]+\n$/);
  assert.equal(strataOk(root, ['images', '-q', 'crash/never:1']), '');
});

/** Directories under `home` of the store that no record names. */
function unnamedDirs(home: 'snapshots/overlay' | 'containers' | 'volumes'): string[] {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    const table = { 'snapshots/overlay': 'SELECT dir AS n FROM snapshots', containers: 'SELECT id AS n FROM containers', volumes: 'SELECT name AS n FROM volumes' }[home];
    const named = new Set((db.prepare(table).all() as { n: string }[]).map((r) => r.n));
    return existsSync(join(root, home)) ? readdirSync(join(root, home)).filter((d) => !named.has(d)) : [];
  } finally {
    db.close();
  }
}

test('an rm killed after any of its commits leaves no directory that neither a record nor check names', { skip: !canRunContainers() && 'needs root and runc to run containers' }, async () => {
  const trace = join(tempDir(), 'trace');
  const probe = strataOk(root, ['create', '-v', '/data', BUSYBOX, 'true']).trim();
  assert.equal(runCli(root, ['rm', '-v', probe], { STRATA_CRASH_TRACE: trace }).status, 0);
  const commits = readFileSync(trace, 'utf8').split('\n').filter((s) => s === 'db-commit').length;
  assert.ok(commits >= 3, `rm -v commits ${commits} times`);
  for (let n = 1; n <= commits; n++) {
    const c = strataOk(root, ['create', '-v', '/data', BUSYBOX, 'true']).trim();
    const crashed = runCli(root, ['rm', '-v', c], { STRATA_CRASH_AT: `db-commit:${n}` });
    assert.equal(crashed.signal, 'SIGKILL');
    const found = checkOf(root);
    const leftovers = [...unnamedDirs('snapshots/overlay'), ...unnamedDirs('containers'), ...unnamedDirs('volumes')];
    // What nothing names on disk, check must name.
    for (const dir of leftovers) assert.ok(found.lines.some((l) => l.includes(dir)), `after commit ${n}: ${dir} is named by neither a record nor check:\n${found.stdout}`);
    const repaired = checkOf(root, true);
    assert.equal(repaired.status, 0, repaired.stdout);
    assert.deepEqual([...unnamedDirs('snapshots/overlay'), ...unnamedDirs('containers'), ...unnamedDirs('volumes')], []);
    strata(root, ['rm', '-v', c]);
    assert.deepEqual(containerIds(), []);
  }
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

test('a volume rm killed after its record went: check names the data, --repair removes it, and a new volume of that name starts empty', { skip: !canRunContainers() && 'needs root and runc to run containers' }, () => {
  strataOk(root, ['volume', 'create', 'kept']);
  strataOk(root, ['run', '--rm', '-v', 'kept:/d', BUSYBOX, 'sh', '-c', 'echo secret > /d/old']);
  const crashed = runCli(root, ['volume', 'rm', 'kept'], { STRATA_CRASH_AT: 'db-commit:1' });
  assert.equal(crashed.signal, 'SIGKILL');
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), '');
  const entry = `volumes/.removing-kept-${crashed.pid}`;
  const found = checkOf(root);
  assert.deepEqual([found.status, found.lines], [1, [`leftover: directory ${entry}: its removal was interrupted`]]);
  assert.deepEqual(checkOf(root, true).lines, [`repaired: removed directory ${entry}: its removal was interrupted`]);
  strataOk(root, ['volume', 'create', 'kept']);
  assert.equal(strataOk(root, ['run', '--rm', '-v', 'kept:/d', BUSYBOX, 'ls', '/d']), '', 'the removed volume\'s data came back');
  strataOk(root, ['volume', 'rm', 'kept']);
});

test('a volume rm killed before its record went: check names the data moved aside, --repair puts it back', { skip: !canRunContainers() && 'needs root and runc to run containers' }, () => {
  strataOk(root, ['volume', 'create', 'kept']);
  strataOk(root, ['run', '--rm', '-v', 'kept:/d', BUSYBOX, 'sh', '-c', 'echo secret > /d/old']);
  const crashed = runCli(root, ['volume', 'rm', 'kept'], { STRATA_CRASH_AT: 'dir-remove:1' });
  assert.equal(crashed.signal, 'SIGKILL');
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), 'kept\n', 'the removal did not commit');
  const line = `directory volumes/.removing-kept-${crashed.pid}: its removal was interrupted before its record was deleted (it goes back to volumes/kept)`;
  assert.deepEqual(checkOf(root).lines, [`leftover: ${line}`]);
  assert.deepEqual(checkOf(root, true).lines, [`repaired: put back ${line}`]);
  assert.equal(strataOk(root, ['run', '--rm', '-v', 'kept:/d', BUSYBOX, 'cat', '/d/old']), 'secret\n');
  strataOk(root, ['volume', 'rm', 'kept']);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

test('a create killed before its record committed leaves no container directory that nothing names', { skip: !canRunContainers() && 'needs root and runc to run containers' }, () => {
  for (const point of ['db-commit:1', 'snapshot-commit:1']) {
    const crashed = runCli(root, ['create', BUSYBOX, 'true'], { STRATA_CRASH_AT: point });
    assert.equal(crashed.signal, 'SIGKILL');
    assert.deepEqual(unnamedDirs('containers'), [], `killed at ${point}`);
  }
  assert.equal(checkOf(root, true).status, 0);
});

test('a run --rm killed while its own clean-up removed the container: the supervisor finishes the removal', { skip: !canRunContainers() && 'needs root and runc to run containers' }, async () => {
  // dir-remove: the container's directory is moved aside, its record not yet deleted.
  const crashed = runCli(root, ['run', '--rm', BUSYBOX, 'true'], { STRATA_CRASH_AT: 'dir-remove:1' });
  assert.equal(crashed.signal, 'SIGKILL');
  await quiet(root);
  assert.deepEqual(containerIds(), [], 'the --rm container stays');
  assert.deepEqual(mountsUnder(root), []);
  assert.equal(checkOf(root, true).status, 0);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});
