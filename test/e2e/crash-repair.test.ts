// What a command killed at one exact durable step (STRATA_CRASH_AT, docs/DURABILITY.md)
// leaves, and that `system check` names it and `--repair` removes it: the defects the
// crash-point matrix (crash-points.test.ts) found, one test each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { tempDir } from '../helpers/temp-dir.ts';
import { writeLayeredArchive } from '../helpers/layered-archive.ts';
import { checkOf, quiet, runCli } from '../helpers/crash-run.ts';
import { BUSYBOX, canRunContainers, mountsUnder, storeWithBusybox, strataOk } from './containers-fixture.ts';

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

test('a load killed after it rewrote index.json, before its records committed: check names index.json, --repair rewrites it from the records', { skip: !canRunContainers() && 'needs root and runc (the store is made with containers in mind)' }, async () => {
  const archive = join(tempDir(), 'image.tar');
  await writeLayeredArchive(archive, [[{ name: 'loaded.txt', type: 'file', body: Buffer.from('loaded\n') }]], 'crash/index:1');
  const crashed = runCli(root, ['load', '-i', archive], { STRATA_CRASH_AT: 'index-write:1' });
  assert.equal(crashed.signal, 'SIGKILL');
  assert.ok(indexOf().names.includes('docker.io/crash/index:1'), 'index.json names the image the records do not hold');
  assert.equal(strataOk(root, ['images', '-q', 'crash/index:1']), '');
  const found = checkOf(root);
  assert.equal(found.status, 1);
  assert.ok(found.lines.includes('leftover: content/index.json: it does not list the images the records hold (a command was interrupted before it committed)'), found.lines.join('\n'));
  const repaired = checkOf(root, true);
  assert.equal(repaired.status, 0, repaired.stdout);
  assert.deepEqual(repaired.lines, found.lines.map((l) => l.replace(/^leftover: /, 'repaired: removed ')));
  // The repair removed the unrecorded image's blobs: index.json must not name them any more.
  assert.deepEqual(indexOf(), { names: ['docker.io/ctest/busybox:1'], complete: true });
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  assert.equal(strataOk(root, ['load', '-i', archive]), 'Loaded image: crash/index:1\n');
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
