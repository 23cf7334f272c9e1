// `system check` proves itself: each kind of damage it claims to find (README's row, and
// src/engine/store-problems.ts and store-check.ts) is done to a real store — files removed,
// bytes changed, records deleted behind strata's back, real overlay mounts left behind —
// and the check must name it (the exact line, exit status 1). Leftovers and dangling
// references are mended by `--repair`, after which a second check is clean. Data an image or
// container needs is never deleted to make a problem go away: the line says who needs it and
// how to get it back, and doing what it says gives a clean store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { mountsUnder } from './containers-fixture.ts';

const ARCHIVE = new URL('../fixtures/docker-save/three-images.tar', import.meta.url).pathname;
const TAGS = { one: 'strata-fixture/one:1', two: 'strata-fixture/two:1', three: 'strata-fixture/three:1' } as const;
type Name = keyof typeof TAGS;

interface Image { id: string; manifest: string; chains: string[] }
interface Fixture {
  images: Record<Name, Image>;
  /** diff_id of each chain ID. */
  diffOf: Map<string, string>;
  /** Directory under snapshots/overlay/ of each snapshot key. */
  dirOf: Map<string, string>;
}

let base = '';
let fx: Fixture;

function rows<T>(root: string, sql: string, ...params: unknown[]): T[] {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Changes records behind strata's back, as a bug or a stray tool would (no foreign keys to stop it). */
function damageRecords(root: string, sql: string, ...params: unknown[]): void {
  const db = new Sqlite(join(root, 'metadata.db'));
  try {
    db.pragma('foreign_keys = OFF');
    const changed = db.prepare(sql).run(...params).changes;
    assert.ok(changed > 0, `the damage changed nothing: ${sql}`);
  } finally {
    db.close();
  }
}

// The loaded store every test copies (made once: a load costs more than a copy).
const baseDir = mkdtempSync(join(tmpdir(), 'strata-damage-base-'));
after(() => rmSync(baseDir, { recursive: true, force: true }));

before(() => {
  base = join(baseDir, 'store');
  strataOk(base, ['load', '-i', ARCHIVE]);
  const image = (name: Name): Image => {
    const id = strataOk(base, ['image', 'inspect', '-f', '{{.Id}}', TAGS[name]]).trim();
    const [row] = rows<{ manifest: string }>(base, 'SELECT manifest_digest AS manifest FROM images WHERE id = ?', id);
    const chains = rows<{ chain: string }>(base, 'SELECT chain_id AS chain FROM image_layers WHERE image_id = ? ORDER BY position', id).map((r) => r.chain);
    return { id, manifest: row?.manifest ?? '', chains };
  };
  fx = {
    images: { one: image('one'), two: image('two'), three: image('three') },
    diffOf: new Map(rows<{ chain: string; diff: string }>(base, 'SELECT chain_id AS chain, diff_id AS diff FROM layers').map((r) => [r.chain, r.diff])),
    dirOf: new Map(rows<{ key: string; dir: string }>(base, 'SELECT key, dir FROM snapshots').map((r) => [r.key, r.dir])),
  };
  // The fixture's shape, which the damage below relies on: one ⊂ two, one ⊂ three.
  assert.deepEqual(fx.images.two.chains.slice(0, 2), fx.images.one.chains);
  assert.deepEqual(fx.images.three.chains.slice(0, 2), fx.images.one.chains);
  assert.match(strataOk(base, ['system', 'check']), /: OK\n$/);
});

/** A copy of the loaded store, for one test to damage. Mounts a test leaves under it are taken down at the end. */
function store(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-damage-'));
  const root = join(dir, 'store');
  after(() => {
    for (const point of mountsUnder(root).reverse()) spawnSync('umount', ['-l', point]);
    rmSync(dir, { recursive: true, force: true });
  });
  execFileSync('cp', ['-a', base, root]);
  return root;
}

const blobPath = (root: string, digest: string): string => join(root, 'content', 'blobs', 'sha256', digest.replace('sha256:', ''));
const top = (name: Name): string => fx.images[name].chains.at(-1) as string;
const layerBlob = (chain: string): string => fx.diffOf.get(chain) as string;
const fsDir = (root: string, key: string): string => join(root, 'snapshots', 'overlay', fx.dirOf.get(key) as string, 'fs');
const needs = (...names: Name[]): string => {
  const list = names.map((n) => TAGS[n]).sort();
  const them = list.length === 1 ? 'it' : 'them';
  return ` (needed by ${list.join(', ')}: remove ${them} with \`strata rmi\` and pull or load ${them} again)`;
};

interface Check { status: number; problems: string[]; leftovers: string[]; repaired: string[]; summary: string }

function check(root: string, ...flags: string[]): Check {
  const r = strata(root, ['system', 'check', ...flags]);
  assert.equal(r.stderr, '', 'system check writes its findings to stdout');
  const lines = r.stdout.split('\n').filter(Boolean);
  const pick = (prefix: string): string[] => lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  return { status: r.status, problems: pick('problem: '), leftovers: pick('leftover: '), repaired: pick('repaired: removed '), summary: lines.at(-1) ?? '' };
}

/** The check finds nothing: status 0, `OK`. */
function assertClean(root: string): void {
  const r = check(root);
  assert.deepEqual({ status: r.status, problems: r.problems, leftovers: r.leftovers }, { status: 0, problems: [], leftovers: [] });
  assert.match(r.summary, /: OK$/);
}

/** What `--repair` must not touch when it cannot mend a problem: every blob and record. */
function snapshotOf(root: string): { blobs: string[]; images: unknown[]; layers: unknown[]; snapshots: unknown[]; containers: unknown[] } {
  return {
    blobs: readdirSync(join(root, 'content', 'blobs', 'sha256')).sort().map((name) => `${name} ${statSync(join(root, 'content', 'blobs', 'sha256', name)).size}`),
    images: rows(root, 'SELECT * FROM images ORDER BY id'),
    layers: rows(root, 'SELECT * FROM layers ORDER BY chain_id'),
    snapshots: rows(root, 'SELECT * FROM snapshots ORDER BY key'),
    containers: rows(root, 'SELECT id FROM containers ORDER BY id'),
  };
}

/** index.json naming an image whose blobs are not all there: --repair rewrites it so content/ stays a valid OCI layout. */
const STALE_INDEX = 'content/index.json: it does not list what the image records hold';

/**
 * Problems that --repair must leave alone: it reports them again, exits 1 and changes no
 * blob or record (it may rewrite index.json: `repaired` lists what else it does).
 */
function assertRepairKeepsData(root: string, problems: string[], repaired: string[] = []): void {
  const before = snapshotOf(root);
  const r = check(root, '--repair');
  assert.equal(r.status, 1);
  assert.deepEqual(r.repaired, repaired, 'nothing an image or container needs is removed');
  assert.deepEqual(r.problems, problems);
  assert.deepEqual(snapshotOf(root), before);
}

/** Doing what the hint says: remove the images, load them again. */
function reload(root: string, names: Name[]): void {
  strataOk(root, ['rmi', ...names.map((n) => TAGS[n])]);
  strataOk(root, ['load', '-i', ARCHIVE]);
}

test('a missing layer blob is a problem naming the images that need it; reloading them mends it', () => {
  const root = store();
  const blob = layerBlob(fx.images.one.chains[1] as string);
  execFileSync('rm', [blobPath(root, blob)]);
  const problem = `layer ${blob}: its blob ${blob} is missing${needs('one', 'two', 'three')}`;
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, [problem]);
  assert.deepEqual(r.leftovers, [STALE_INDEX]);
  // What it costs: save sends that very blob.
  assert.match(strata(root, ['save', '-o', join(root, '..', 'one.tar'), TAGS.one]).stderr, /run `strata system check`/);
  assertRepairKeepsData(root, [problem], [STALE_INDEX]);
  assert.deepEqual(check(root).leftovers, []);
  reload(root, ['one', 'two', 'three']);
  assertClean(root);
  strataOk(root, ['save', '-o', join(root, '..', 'one.tar'), TAGS.one]);
});

test('a blob with bytes changed (same size) is a problem; --repair keeps it, reloading its image mends it', () => {
  const root = store();
  const blob = layerBlob(top('two'));
  const path = blobPath(root, blob);
  const bytes = readFileSync(path);
  const size = bytes.length;
  bytes[100] = (bytes[100] ?? 0) ^ 0xff;
  execFileSync('chmod', ['u+w', path]);
  writeFileSync(path, bytes);
  assert.equal(statSync(path).size, size);
  const actual = execFileSync('sha256sum', [path]).toString().split(' ')[0];
  const problem = `blob ${blob} is corrupted: its content hashes to sha256:${actual}${needs('two')}`;
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, [problem]);
  assertRepairKeepsData(root, [problem]);
  assert.deepEqual(readFileSync(path), bytes, 'the corrupt blob is still there, for the user to look at');
  reload(root, ['two']);
  assertClean(root);
});

test('a truncated config blob is a problem; the image is not silently dropped', () => {
  const root = store();
  const { id } = fx.images.one;
  const path = blobPath(root, id);
  execFileSync('chmod', ['u+w', path]);
  truncateSync(path, 100);
  const actual = execFileSync('sha256sum', [path]).toString().split(' ')[0];
  const corrupt = `blob ${id} is corrupted: its content hashes to sha256:${actual}`;
  const problems = [`${corrupt}${needs('one')}`, `image ${id}: config unreadable: ${corrupt}${needs('one')}`];
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, problems);
  assertRepairKeepsData(root, problems);
  reload(root, ['one']);
  assertClean(root);
});

test('a corrupt blob nothing needs is a problem and a leftover; --repair removes it', () => {
  const root = store();
  const name = 'a'.repeat(64);
  writeFileSync(join(root, 'content', 'blobs', 'sha256', name), 'not what its name says\n');
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, [`blob sha256:${name} is corrupted: its content hashes to sha256:${execFileSync('sha256sum', [blobPath(root, name)]).toString().split(' ')[0]}`]);
  assert.deepEqual(r.leftovers, [`blob sha256:${name} (23B): nothing references it`]);
  const repaired = check(root, '--repair');
  assert.deepEqual(repaired.repaired, [`blob sha256:${name} (23B): nothing references it`]);
  assertClean(root);
});

test('an image record naming a missing manifest: --repair forgets the manifest, the image still saves', () => {
  const root = store();
  const { id, manifest } = fx.images.one;
  execFileSync('rm', [blobPath(root, manifest)]);
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, [`image ${id}: manifest ${manifest} is missing (--repair forgets it: a push makes a new one)`]);
  const repaired = check(root, '--repair');
  assert.equal(repaired.status, 0);
  assert.deepEqual(repaired.repaired, [`manifest ${manifest} from the record of image ${id}: that blob is gone`, STALE_INDEX]);
  assertClean(root);
  strataOk(root, ['save', '-o', join(root, '..', 'one.tar'), TAGS.one]);
});

test('a layer record whose snapshot and blob are gone is a problem naming its image', () => {
  const root = store();
  const chain = top('three');
  const blob = layerBlob(chain);
  execFileSync('rm', ['-rf', join(root, 'snapshots', 'overlay', fx.dirOf.get(chain) as string), blobPath(root, blob)]);
  damageRecords(root, 'DELETE FROM snapshots WHERE key = ?', chain);
  const problems = [
    `layer ${chain}: neither a snapshot nor a stored blob holds its files${needs('three')}`,
    `layer ${blob}: its blob ${blob} is missing${needs('three')}`,
  ];
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, problems);
  assertRepairKeepsData(root, problems, [STALE_INDEX]);
  reload(root, ['three']);
  assertClean(root);
  assert.equal(strataOk(root, ['run', '--rm', '--pull', 'never', '--entrypoint', 'cat', TAGS.three, '/data/sub/fresh']).length, 6, 'the image runs again');
});

test('a container whose image is gone is a problem that says how to keep or remove it', () => {
  const root = store();
  const id = strataOk(root, ['create', '--pull', 'never', '--name', 'orphan', TAGS.two, 'true']).trim();
  // docker's rmi -f of an image a container uses: allowed, the container keeps what it needs.
  strataOk(root, ['rmi', '-f', TAGS.two]);
  assertClean(root);
  const config = fx.images.two.id;
  execFileSync('rm', [blobPath(root, config)]);
  const problem = `container orphan (${id.slice(0, 12)}): its image's config ${config} is missing (keep its files with \`strata export orphan\`, remove it with \`strata rm -f orphan\`)`;
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, [problem]);
  // What it costs: commit needs the image's config.
  assert.notEqual(strata(root, ['commit', 'orphan', 'kept:1']).status, 0);
  assertRepairKeepsData(root, [problem]);
  assert.equal(strataOk(root, ['ps', '-aq', '--filter', 'name=orphan']).trim(), id.slice(0, 12));
  strataOk(root, ['rm', '-f', 'orphan']);
  // The image's layers were the container's only; now they are garbage.
  assert.equal(check(root).problems.length, 0);
  strataOk(root, ['system', 'check', '--repair']);
  assertClean(root);
});

test('an index.json behind or ahead of the records (a crash between a commit and its rewrite) is a leftover --repair rewrites', () => {
  const root = store();
  const index = join(root, 'content', 'index.json');
  const inLine = readFileSync(index, 'utf8');
  const parsed = JSON.parse(inLine) as { manifests: { digest: string }[] };
  assert.equal(parsed.manifests.length, 3);
  const leftover = STALE_INDEX;
  // Behind: the records of one image committed, the rewrite never happened.
  writeFileSync(index, JSON.stringify({ ...parsed, manifests: parsed.manifests.slice(1) }));
  const r = check(root);
  assert.deepEqual({ status: r.status, problems: r.problems, leftovers: r.leftovers }, { status: 1, problems: [], leftovers: [leftover] });
  assert.deepEqual(check(root, '--repair').repaired, [leftover]);
  assert.equal(readFileSync(index, 'utf8'), inLine);
  assertClean(root);
  // Ahead: it names an image whose records a rollback (or a host crash) took away.
  strataOk(root, ['rmi', TAGS.three]);
  const afterRmi = readFileSync(index, 'utf8');
  writeFileSync(index, inLine);
  assert.deepEqual(check(root).leftovers, [leftover]);
  assert.deepEqual(check(root, '--repair').repaired, [leftover]);
  assert.equal(readFileSync(index, 'utf8'), afterRmi);
  assertClean(root);
});

test('a committed snapshot no layer record needs is a leftover --repair removes', () => {
  const root = store();
  const parent = top('one');
  const key = `sha256:${'c'.repeat(64)}`;
  mkdirSync(join(root, 'snapshots', 'overlay', 'crashedextract', 'fs'), { recursive: true });
  writeFileSync(join(root, 'snapshots', 'overlay', 'crashedextract', 'fs', 'file'), 'extracted, never recorded as a layer\n');
  const db = new Sqlite(join(root, 'metadata.db'));
  db.prepare("INSERT INTO snapshots (key, dir, driver, kind, parent, created_at) VALUES (?, 'crashedextract', 'overlay', 'committed', ?, ?)").run(key, parent, Date.now());
  db.close();
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.leftovers, [`snapshot ${key}: no layer record or other snapshot needs it`]);
  assert.deepEqual(check(root, '--repair').repaired, [`snapshot ${key}: no layer record or other snapshot needs it`]);
  assert.equal(existsSync(join(root, 'snapshots', 'overlay', 'crashedextract')), false);
  assertClean(root);
});

test('a snapshot directory without a record is a leftover once it is an hour old', () => {
  const root = store();
  const young = join(root, 'snapshots', 'overlay', 'youngorphan');
  const old = join(root, 'snapshots', 'overlay', 'oldorphan');
  for (const dir of [young, old]) mkdirSync(join(dir, 'fs'), { recursive: true });
  // A fresh one may be an extraction in flight: it is not named.
  assertClean(root);
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(old, twoHoursAgo, twoHoursAgo);
  const leftover = 'directory snapshots/overlay/oldorphan: no snapshot record names it (for over an hour)';
  const r = check(root);
  assert.deepEqual({ status: r.status, problems: r.problems, leftovers: r.leftovers }, { status: 1, problems: [], leftovers: [leftover] });
  assert.deepEqual(check(root, '--repair').repaired, [leftover]);
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(young), true);
  assertClean(root);
});

/** A read-only overlay of image one's two layers at `target`, as a process that died would leave it. */
function overlayMount(root: string, target: string): void {
  mkdirSync(target, { recursive: true });
  const [bottom, upper] = fx.images.one.chains as [string, string];
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${fsDir(root, upper)}:${fsDir(root, bottom)}`, target]);
  assert.deepEqual(mountsUnder(target), [target]);
}

test('an overlay mount under mounts/ that no image mount accounts for is a leftover --repair unmounts', () => {
  const root = store();
  const hex = fx.images.one.id.replace('sha256:', '');
  const target = join(root, 'mounts', hex);
  overlayMount(root, target);
  const leftover = `mount mounts/${hex}: no image mount record names it`;
  const r = check(root);
  assert.deepEqual({ status: r.status, problems: r.problems, leftovers: r.leftovers }, { status: 1, problems: [], leftovers: [leftover] });
  assert.deepEqual(check(root, '--repair').repaired, [leftover]);
  assert.deepEqual(mountsUnder(root), []);
  assert.equal(existsSync(target), false);
  assertClean(root);
});

test('an image mount whose image was removed is a leftover: --repair unmounts it and frees its layer', () => {
  const root = store();
  const { id } = fx.images.three;
  const target = strataOk(root, ['image', 'mount', TAGS.three]).trim();
  assert.equal(target, join(root, 'mounts', id.replace('sha256:', '')));
  strataOk(root, ['rmi', TAGS.three]);
  // `image unmount` can no longer name it.
  assert.equal(strata(root, ['image', 'unmount', id]).status, 1);
  const leftover = `mount mounts/${id.replace('sha256:', '')}: its image is gone, so \`image unmount\` cannot name it (the layers it keeps go with it)`;
  const r = check(root);
  assert.deepEqual({ status: r.status, problems: r.problems, leftovers: r.leftovers }, { status: 1, problems: [], leftovers: [leftover] });
  assert.deepEqual(check(root, '--repair').repaired, [
    leftover,
    `layer ${top('three')}: no image, container, build cache entry or lease uses it`,
    `blob ${layerBlob(top('three'))} (4.1kB): nothing references it`,
  ]);
  assert.deepEqual(mountsUnder(root), []);
  assertClean(root);
});

/** The pid of a process that has exited (its number is free again). */
function deadPid(): number {
  const r = spawnSync('true');
  assert.equal(r.status, 0);
  return r.pid as number;
}

test('an overlay mount a killed build left in its tmp/ directory is a leftover --repair unmounts', () => {
  const root = store();
  const pid = deadPid();
  const scratch = `build-${pid}-killed`;
  const rootfs = join(root, 'tmp', scratch, 'rootfs-1');
  overlayMount(root, rootfs);
  const leftovers = [
    `mount tmp/${scratch}/rootfs-1: the build (process ${pid}) that made it is gone`,
    `build directory tmp/${scratch}: the build (process ${pid}) that made it is gone`,
  ];
  const r = check(root);
  assert.deepEqual({ status: r.status, problems: r.problems, leftovers: r.leftovers }, { status: 1, problems: [], leftovers });
  assert.deepEqual(check(root, '--repair').repaired, leftovers);
  assert.deepEqual(mountsUnder(root), []);
  assert.equal(existsSync(join(root, 'tmp', scratch)), false);
  assertClean(root);
});

test('a partial write whose writer is dead is a leftover; one whose writer lives is not', () => {
  const root = store();
  const pid = deadPid();
  const ingest = join(root, 'content', 'ingest');
  writeFileSync(join(ingest, `${pid}-killed-0123456789abcdef`), Buffer.alloc(3000, 1));
  const live = join(ingest, `${process.pid}-writing-0123456789abcdef`);
  writeFileSync(live, Buffer.alloc(10, 1));
  const leftover = `partial write content/ingest/${pid}-killed-0123456789abcdef (3kB): its process (${pid}) is gone`;
  const r = check(root);
  assert.deepEqual({ status: r.status, problems: r.problems, leftovers: r.leftovers }, { status: 1, problems: [], leftovers: [leftover] });
  assert.deepEqual(check(root, '--repair').repaired, [leftover]);
  assert.deepEqual(readdirSync(ingest), [`${process.pid}-writing-0123456789abcdef`], 'a live writer keeps its file');
  assertClean(root);
});

test('a snapshot whose parent record is gone is a problem; --repair does not sweep the parent\'s files', () => {
  const root = store();
  const [bottom, upper] = fx.images.one.chains as [string, string];
  damageRecords(root, 'DELETE FROM snapshots WHERE key = ?', bottom);
  // An hour later its directory, now without a record, would look like an orphan.
  const dir = join(root, 'snapshots', 'overlay', fx.dirOf.get(bottom) as string);
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(dir, twoHoursAgo, twoHoursAgo);
  const problem = `snapshot ${upper}: its parent ${bottom} has no record${needs('one', 'two', 'three')}`;
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual(r.problems, [problem]);
  assert.match(r.summary, /which --repair removes \(blobs, layers and snapshots once no record is missing\)$/);
  const repaired = check(root, '--repair');
  assert.deepEqual(repaired.problems, [problem]);
  assert.deepEqual(repaired.repaired, []);
  assert.equal(existsSync(join(dir, 'fs', 'bin', 'busybox')), true, 'the base layer\'s files are still there');
  reload(root, ['one', 'two', 'three']);
  strataOk(root, ['system', 'check', '--repair']);
  assertClean(root);
});

test('a layer whose parent layer record is gone is a problem; --repair keeps the blob only that record named', () => {
  const root = store();
  const [, middle] = fx.images.one.chains as [string, string];
  damageRecords(root, 'DELETE FROM layers WHERE chain_id = ?', middle);
  const blob = layerBlob(middle);
  const problems = [
    ...(['one', 'two', 'three'] as const).map((n) => ({ n, id: fx.images[n].id }))
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(({ n, id }) => `image ${id}: layer ${middle} has no record${needs(n)}`),
    ...[top('two'), top('three')].sort().map((chain) => `layer ${chain}: parent ${middle} has no record${needs(chain === top('two') ? 'two' : 'three')}`),
  ];
  const r = check(root);
  assert.equal(r.status, 1);
  assert.deepEqual([...r.problems].sort(), [...problems].sort());
  // Without the record the blob looks unused; it is what the images need to be mended.
  assert.deepEqual(r.leftovers, [`blob ${blob} (6.14kB): nothing references it`]);
  const repaired = check(root, '--repair');
  assert.deepEqual(repaired.repaired, []);
  assert.equal(existsSync(blobPath(root, blob)), true);
  reload(root, ['one', 'two', 'three']);
  strataOk(root, ['system', 'check', '--repair']);
  assertClean(root);
});
