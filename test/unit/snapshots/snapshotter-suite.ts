/**
 * The one test suite every snapshotter driver passes (containerd's snapshots/testsuite is
 * the model): the prepare/view/commit/remove lifecycle, the merged tree real mounts show for
 * a stack of layers with whiteouts and opaque directories, removal refused under a child,
 * `diff`'s change list as docker gives it, diffs and extraction, and the stacking limit.
 * overlay.test.ts and native.test.ts run it, each with its driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openDatabase, type Database } from '../../../src/metadata/index.ts';
import { mountAll, unmountAll, type Mount } from '../../../src/mount/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import type { Digest } from '../../../src/oci/index.ts';
import {
  commitActive, discard, extractLayer, openSnapshotter, type Snapshotter, type StorageDriver,
} from '../../../src/snapshots/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { tarOf, type LayerEntry } from '../../helpers/layered-archive.ts';

export interface SuiteOptions {
  driver: StorageDriver;
  /**
   * `diff` after `rm -r /opt/old; mkdir /opt/old; echo g > /opt/old/g`, where docker's
   * drivers differ too: overlay2 sees an opaque directory (a deletion and an addition),
   * vfs compares two trees (the directory changed, its old file deleted).
   */
  recreatedDirectoryChanges: string[];
}

/** A name shaped like a chain ID (the snapshotter takes any key). */
function chainName(n: number): Digest {
  return `sha256:${n.toString(16).padStart(64, '0')}`;
}

function openStore(driver: StorageDriver): { s: Snapshotter; db: Database; root: string } {
  const root = tempDir('strata-snapshots-');
  const db = openDatabase(join(root, 'metadata.db'));
  return { s: openSnapshotter(db, join(root, 'snapshots'), driver), db, root };
}

/** Mounts `mounts` on a fresh directory for `fn`, then unmounts. */
async function withMounted<T>(s: Snapshotter, mounts: Mount[], fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = join(s.home, '..', `mnt-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  mountAll(mounts, dir);
  try {
    return await fn(dir);
  } finally {
    unmountAll(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every entry under `dir`, sorted: `path/` for a directory, `path=content` for a file, `path->target` for a symlink. */
function treeOf(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = `${rel}/${name}`;
    const st = lstatSync(join(dir, path));
    if (st.isDirectory()) out.push(`${path}/`, ...treeOf(dir, path));
    else if (st.isSymbolicLink()) out.push(`${path}->${readlinkSync(join(dir, path))}`);
    else out.push(`${path}=${readFileSync(join(dir, path), 'utf8')}`);
  }
  return out;
}

async function extract(s: Snapshotter, chainId: Digest, parent: Digest | undefined, entries: LayerEntry[]): Promise<void> {
  const stats = await extractLayer(s, { chainId, ...(parent ? { parent } : {}), source: Readable.from([await tarOf(entries)]) });
  assert.ok(stats, `layer ${chainId} extracted`);
}

const file = (name: string, body: string, extra: Partial<LayerEntry> = {}): LayerEntry => ({ name, type: 'file', body: Buffer.from(body), ...extra });
const dir = (name: string): LayerEntry => ({ name, type: 'directory', mtime: 1_000_000 });
const whiteout = (name: string): LayerEntry => ({ name, type: 'file', body: Buffer.alloc(0) });

const BASE = chainName(1);
const MID = chainName(2);
const TOP = chainName(3);

/** Three layers: the middle one deletes a file and a directory and makes another opaque, the top one changes and deletes more. */
async function threeLayers(s: Snapshotter): Promise<void> {
  await extract(s, BASE, undefined, [
    dir('bin/'), file('bin/sh', 'sh'), { name: 'bin/ash', type: 'symlink', linkname: 'sh' },
    dir('etc/'), file('etc/passwd', 'root'), file('etc/group', 'wheel'),
    dir('opt/'), dir('opt/old/'), file('opt/old/f', 'f'), dir('opt/old/sub/'), file('opt/old/sub/g', 'g'),
    dir('var/'), dir('var/log/'), file('var/log/x', 'x'),
  ]);
  await extract(s, MID, BASE, [
    dir('etc/'), whiteout('etc/.wh.group'),
    dir('opt/'), dir('opt/old/'), whiteout('opt/old/.wh..wh..opq'), file('opt/old/new', 'new'),
    dir('usr/'), file('usr/a', 'a'),
  ]);
  await extract(s, TOP, MID, [
    dir('etc/'), file('etc/passwd', 'root\nalice'),
    dir('var/'), whiteout('var/.wh.log'),
    file('hello', 'hi'),
  ]);
}

const MERGED = [
  '/bin/', '/bin/ash->sh', '/bin/sh=sh',
  '/etc/', '/etc/passwd=root\nalice',
  '/hello=hi',
  '/opt/', '/opt/old/', '/opt/old/new=new',
  '/usr/', '/usr/a=a',
  '/var/',
];

/** Layers as the `diff` cases use them: a base image and one more layer, directory times kept. */
async function imageForChanges(s: Snapshotter): Promise<void> {
  await extract(s, BASE, undefined, [
    dir('bin/'), file('bin/vi', 'vi'), file('bin/sh', 'sh'),
    dir('etc/'), file('etc/passwd', 'root\n'),
    dir('opt/'), dir('opt/old/'), file('opt/old/f', 'f'),
  ]);
  await extract(s, MID, BASE, [dir('etc/'), file('etc/hosts', '')]);
}

/** `docker diff` of a writable snapshot on the image after `change` ran in it. */
async function changesAfter(s: Snapshotter, key: string, change: (rootfs: string) => void): Promise<string[]> {
  await withMounted(s, s.prepare(key, MID), change);
  return (await s.changes(key)).map((c) => `${c.kind} ${c.path}`);
}

function isCode(code: string): (err: unknown) => boolean {
  return (err) => isStrataError(err, code as never);
}

export function snapshotterSuite(options: SuiteOptions): void {
  const { driver } = options;

  test(`${driver}: prepare, commit, view and remove, with the kinds and errors of each step`, async () => {
    const { s } = openStore(driver);
    assert.equal(s.driver, driver);
    const mounts = s.prepare('work');
    assert.equal(s.stat('work')?.kind, 'active');
    assert.equal(s.stat('work')?.parent, null);
    await withMounted(s, mounts, (root) => writeFileSync(join(root, 'f'), 'one'));
    assert.deepEqual(s.commit(BASE, 'work'), { existed: false });
    assert.equal(s.stat('work'), undefined, 'the active key is gone once committed');
    assert.equal(s.stat(BASE)?.kind, 'committed');
    assert.throws(() => s.commit(TOP, BASE), isCode('failed-precondition'), 'a committed snapshot cannot be committed again');
    assert.throws(() => s.commit(TOP, 'missing'), isCode('not-found'));

    const dirsBefore = readdirSync(s.home).sort();
    assert.throws(() => s.prepare('x', 'missing'), isCode('not-found'));
    s.prepare('active', BASE);
    assert.throws(() => s.prepare('x', 'active'), isCode('invalid-argument'), 'only committed snapshots are parents');
    assert.throws(() => s.prepare('active', BASE), isCode('already-exists'));
    assert.equal(readdirSync(s.home).length, dirsBefore.length + 1, 'refused prepares leave no directory');

    const view = s.view('view', BASE);
    assert.equal(s.stat('view')?.kind, 'view');
    await withMounted(s, view, (root) => {
      assert.deepEqual(treeOf(root), ['/f=one']);
      assert.throws(() => writeFileSync(join(root, 'g'), 'two'), { code: 'EROFS' });
    });
    assert.throws(() => s.commit(TOP, 'view'), isCode('failed-precondition'), 'a view is never committed');
    assert.deepEqual(s.mounts('view'), view, 'mounts() gives the same mounts again');
    assert.deepEqual(s.walk().map((r) => r.key).sort(), ['active', BASE, 'view'].sort());

    // A parent stays while a child stacks on it: an active one, then a view.
    assert.throws(() => s.remove(BASE), isCode('failed-precondition'));
    s.remove('active');
    assert.equal(s.removeUnused(BASE), false);
    assert.throws(() => s.remove(BASE), isCode('failed-precondition'));
    s.remove('view');
    assert.equal(s.removeUnused(BASE, () => true), false, 'kept when the caller still needs it');
    assert.equal(s.removeUnused(BASE), true);
    s.remove('missing');
    assert.deepEqual(s.walk(), []);
    assert.deepEqual(readdirSync(s.home), []);
  });

  test(`${driver}: snapshots another driver recorded in the same store are not this driver's`, () => {
    const { s, db, root } = openStore(driver);
    const other = openSnapshotter(db, join(root, 'snapshots'), driver === 'overlay' ? 'native' : 'overlay');
    other.prepare('theirs');
    s.prepare('ours');
    assert.equal(s.stat('theirs'), undefined);
    assert.deepEqual(s.walk().map((r) => r.key), ['ours']);
    assert.throws(() => s.prepare('x', 'theirs'), isCode('not-found'));
  });

  test(`${driver}: a view, and a writable snapshot, of three layers show the merged tree; whiteouts and opaque directories hide what is below`, async () => {
    const { s } = openStore(driver);
    await threeLayers(s);
    assert.deepEqual(s.chain(TOP).map((r) => r.key), [TOP, MID, BASE]);
    await withMounted(s, s.view('view', TOP), (root) => assert.deepEqual(treeOf(root), MERGED));
    await withMounted(s, s.view('mid', MID), (root) => {
      const tree = treeOf(root);
      assert.ok(tree.includes('/var/log/x=x') && tree.includes('/etc/passwd=root'), 'a view of the middle layer shows what the top one changes');
      assert.ok(!tree.includes('/etc/group=wheel') && !tree.includes('/opt/old/f=f'), 'and what the middle one deleted stays deleted');
    });
    await withMounted(s, s.prepare('rw', TOP), (root) => {
      assert.deepEqual(treeOf(root), MERGED);
      writeFileSync(join(root, 'etc', 'passwd'), 'changed');
      rmSync(join(root, 'bin'), { recursive: true });
    });
    // Copy-on-write: the committed layers below are untouched.
    await withMounted(s, s.mounts('view'), (root) => assert.deepEqual(treeOf(root), MERGED));
  });

  test(`${driver}: changes lists A, C and D as docker does, every directory above a change as C`, async () => {
    const { s } = openStore(driver);
    await imageForChanges(s);
    assert.deepEqual(await changesAfter(s, 'c1', (m) => {
      mkdirSync(join(m, 'srv', 'new'), { recursive: true });
      writeFileSync(join(m, 'srv', 'new', 'f'), 'hi\n');
      unlinkSync(join(m, 'bin', 'vi'));
      writeFileSync(join(m, 'bin', 'busybox.txt'), 'x\n');
      appendFileSync(join(m, 'etc', 'passwd'), 'alice\n');
    }), ['C /bin', 'A /bin/busybox.txt', 'D /bin/vi', 'C /etc', 'C /etc/passwd', 'A /srv', 'A /srv/new', 'A /srv/new/f']);
    // A directory only copied up is listed once, above its changes; a file of the upper image layer counts as existing.
    assert.deepEqual(await changesAfter(s, 'c2', (m) => {
      chmodSync(join(m, 'etc', 'passwd'), 0o600);
      writeFileSync(join(m, 'etc', 'hosts'), '127.0.0.1 x\n');
    }), ['C /etc', 'C /etc/hosts', 'C /etc/passwd']);
    // Every ancestor of a deep change is C, as docker 20.10 lists them.
    assert.deepEqual(await changesAfter(s, 'c3', (m) => mkdirSync(join(m, 'opt', 'old', 'deep', 'er'), { recursive: true })),
      ['C /opt', 'C /opt/old', 'A /opt/old/deep', 'A /opt/old/deep/er']);
    assert.deepEqual(await changesAfter(s, 'c4', (m) => chmodSync(join(m, 'opt', 'old', 'f'), 0o600)), ['C /opt', 'C /opt/old', 'C /opt/old/f']);
    assert.deepEqual(await changesAfter(s, 'c5', (m) => {
      rmSync(join(m, 'opt', 'old'), { recursive: true });
      mkdirSync(join(m, 'opt', 'old'));
      writeFileSync(join(m, 'opt', 'old', 'g'), 'g');
    }), options.recreatedDirectoryChanges);
    assert.deepEqual(await changesAfter(s, 'c6', () => undefined), [], 'no change, no line');
    // On no parent at all, everything is added.
    await withMounted(s, s.prepare('empty'), (m) => mkdirSync(join(m, 'a', 'b'), { recursive: true }));
    assert.deepEqual((await s.changes('empty')).map((c) => `${c.kind} ${c.path}`), ['A /a', 'A /a/b']);
    await assert.rejects(s.changes('missing'), isCode('not-found'));
  });

  test(`${driver}: layers stack, changes commit as a new layer, and the same change gives the same diff_id`, async (t) => {
    const { s } = openStore(driver);
    await extract(s, BASE, undefined, [dir('etc/'), file('etc/a', 'a\n'), file('etc/gone', 'x\n')]);
    const results: string[] = [];
    // The two changes are made at different moments; with SOURCE_DATE_EPOCH their mtimes clamp
    // to the same value, so only the change itself decides the digest.
    process.env['SOURCE_DATE_EPOCH'] = '1000';
    t.after(() => {
      delete process.env['SOURCE_DATE_EPOCH'];
    });
    for (const key of ['c1', 'c2']) {
      await withMounted(s, s.prepare(key, BASE), (root) => {
        assert.equal(readFileSync(join(root, 'etc', 'a'), 'utf8'), 'a\n');
        writeFileSync(join(root, 'etc', 'a'), 'changed\n');
        unlinkSync(join(root, 'etc', 'gone'));
        writeFileSync(join(root, 'new'), 'new\n');
      });
      results.push((await s.diff(key, discard())).diffId);
    }
    assert.equal(results[0], results[1], 'deterministic diff');
    const committed = await commitActive(s, 'c1');
    assert.equal(committed.diffId, results[0]);
    // The committed layer regenerates the same tar.
    assert.equal((await s.diff(committed.chainId, discard())).diffId, results[0]);
    await withMounted(s, s.view('v', committed.chainId), (root) => {
      assert.deepEqual(treeOf(root), ['/etc/', '/etc/a=changed\n', '/new=new\n']);
    });
    // Committing a name that exists (same layer extracted twice) reuses it.
    assert.deepEqual(s.commit(committed.chainId, 'c2'), { existed: true });
    assert.equal(s.stat('c2'), undefined);
  });

  test(`${driver}: a layer extracted on its own takes its parent at commit only where the driver stacks layers`, async () => {
    const { s } = openStore(driver);
    await extract(s, BASE, undefined, [file('a', 'a')]);
    s.prepare('alone');
    if (s.stacksLayers) {
      s.commit(MID, 'alone', { parent: BASE });
      assert.deepEqual(s.chain(MID).map((r) => r.key), [MID, BASE]);
    } else {
      assert.throws(() => s.commit(MID, 'alone', { parent: BASE }), isCode('failed-precondition'));
      assert.equal(s.stat('alone')?.kind, 'active', 'nothing changed');
    }
  });

  test(`${driver}: a layer whose content does not match its diff_id, or that escapes its root, leaves nothing behind`, async () => {
    const { s } = openStore(driver);
    const tar = await tarOf([file('f', 'x')]);
    await assert.rejects(extractLayer(s, { chainId: BASE, expectedDiffId: chainName(9), source: Readable.from([tar]) }), /hashes to/);
    const escaping = await tarOf([file('../escape', 'x')]);
    await assert.rejects(extractLayer(s, { chainId: BASE, source: Readable.from([escaping]) }), /escape/);
    assert.equal(existsSync(join(s.home, '..', 'escape')), false);
    assert.deepEqual(s.walk(), []);
    assert.deepEqual(readdirSync(s.home), []);
  });

  test(`${driver}: the stacking limit`, { timeout: 300_000 }, async () => {
    const { s } = openStore(driver);
    // One past overlayfs's limit, whatever the driver's own.
    const depth = (s.stackingLimit?.layers ?? 500) + 1;
    await extract(s, chainName(1), undefined, [file('bottom', 'b')]);
    for (let n = 2; n <= depth; n++) {
      s.prepare('next', chainName(n - 1));
      s.commit(chainName(n), 'next');
    }
    const limit = s.stackingLimit;
    if (limit === undefined) {
      await withMounted(s, s.prepare('deep', chainName(depth)), (root) => assert.deepEqual(treeOf(root), ['/bottom=b']));
      return;
    }
    // At the limit, a real mount of the whole stack shows the bottom layer.
    await withMounted(s, s.prepare('deepest', chainName(limit.layers)), (root) => assert.deepEqual(treeOf(root), ['/bottom=b']));
    await withMounted(s, s.view('deepest-view', chainName(limit.layers)), (root) => assert.deepEqual(treeOf(root), ['/bottom=b']));
    const dirs = readdirSync(s.home).length;
    for (const make of [() => s.prepare('too-deep', chainName(depth)), () => s.view('too-deep', chainName(depth))]) {
      assert.throws(make, (err: unknown) => isStrataError(err, 'invalid-argument') && (err as Error).message === `cannot stack on ${chainName(depth)}: ${limit.reason}`);
    }
    assert.equal(s.stat('too-deep'), undefined);
    assert.equal(readdirSync(s.home).length, dirs, 'a refused snapshot leaves no directory');
  });
}
