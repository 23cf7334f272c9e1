// Invariant 4: kill -9 at any point leaves a store that opens, shows nothing half-done, in
// which `system check` finds no problem and lists every leftover, which `--repair` removes,
// and lets the same operation succeed afterwards. A build's RUN container dies with the build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { STRATA_BIN, strata, strataOk } from '../helpers/strata-cli.ts';
import { writeBigArchive } from '../helpers/big-archive.ts';
import { writeLayeredArchive } from '../helpers/layered-archive.ts';
import { humanSize } from '../../src/cli/format/size.ts';
import { BASE, context, storeWithBase } from './build-fixture.ts';
import { eventually, mountsUnder } from './containers-fixture.ts';

function ingestBytes(root: string): number {
  const dir = join(root, 'content', 'ingest');
  try {
    return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  } catch {
    return 0;
  }
}

test('kill -9 in the middle of loading a 1 GiB archive loses nothing and a second load succeeds', { timeout: 300_000 }, async () => {
  const archive = join(tempDir('strata-big-'), 'big.tar');
  await writeBigArchive(archive, 1024 * 1024 * 1024);
  const root = tempDir();
  strataOk(root, ['images']);
  const child = spawn(STRATA_BIN, ['load', '-i', archive], { env: { ...process.env, STRATA_ROOT: root }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Wait until a good part of the layer is in ingest/, then pull the plug.
  const started = Date.now();
  while (ingestBytes(root) < 200 * 1024 * 1024) {
    if (Date.now() - started > 120_000) throw new Error('load never got going');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(ingestBytes(root) > 0, 'the partial write stayed in ingest/');
  assert.equal(strataOk(root, ['images', '-q']), '', 'nothing half-loaded is listed');
  const found = strata(root, ['system', 'check']);
  assert.equal(found.status, 1, 'a leftover is not OK');
  assert.match(found.stdout, new RegExp(`^leftover: partial write content/ingest/${child.pid}-[^ ]+ \\([\\d.]+MB\\): its process \\(${child.pid}\\) is gone$`, 'm'));
  assert.doesNotMatch(found.stdout, /^problem: /m);
  assert.equal(strataOk(root, ['load', '-i', archive]), 'Loaded image: big/image:1\n');
  assert.match(strataOk(root, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']), /^big\/image:1 1.07GB\n$/);
  assert.match(strataOk(root, ['system', 'check', '--repair']), /^repaired: removed partial write content\/ingest\//m);
  assert.equal(ingestBytes(root), 0);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

/** The parent of a process, from /proc (0 once it is gone). */
function parentOf(pid: number): number {
  try {
    return Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Whether `pid` is a `sleep 1000` that runs (a zombie runs nothing: it only waits to be reaped). */
function sleeping(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x001000\x00' && !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The nearest ancestor of `pid` that names the store at `root`: the container's supervisor (or runc). */
function supervisorOf(pid: number, root: string): number | undefined {
  for (let p = parentOf(pid); p > 1; p = parentOf(p)) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${root}/`)) return p;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Processes running `sleep 1000` in a container of the store at `root`. */
function sleepersIn(root: string): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n) && sleeping(Number(n)) && supervisorOf(Number(n), root) !== undefined).map(Number);
}

/** `leftover: …` lines of a `system check`, and its status. */
function check(root: string, repair = false): { status: number; lines: string[]; summary: string } {
  const r = strata(root, ['system', 'check', ...(repair ? ['--repair'] : [])]);
  assert.equal(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  return { status: r.status, lines: lines.slice(0, -1), summary: lines.at(-1) ?? '' };
}

test('kill -9 of a build in a RUN: the container dies with it, system check lists what is left, --repair removes it', { timeout: 120_000 }, async () => {
  const root = storeWithBase();
  // The step sleeps the first time only: the cache mount remembers it ran, so the same build then finishes.
  const ctx = context(`FROM ${BASE}\nRUN --mount=type=cache,target=/cache sh -c 'if [ -e /cache/once ]; then echo again; else touch /cache/once; sleep 1000; fi'\n`);
  const child = spawn(STRATA_BIN, ['build', '--progress=plain', '-t', 'crash/build:1', ctx], { env: { ...process.env, STRATA_ROOT: root }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const sleepers = await eventually(() => (sleepersIn(root).length > 0 ? sleepersIn(root) : undefined), 60_000, 'the RUN step to be sleeping');
    child.kill('SIGKILL');
    await exited;
    await eventually(() => (sleepersIn(root).length === 0 ? true : undefined), 15_000, `the step's processes (${sleepers.join(', ')}) to die with the build`);
    // Its supervisor deletes the container's runtime state once it is dead.
    await eventually(() => (readdirSync(join(root, 'runtime', 'runc')).length === 0 ? true : undefined), 15_000, 'the runtime state to be deleted');
  } finally {
    // Should the container outlive its build (the defect), it must not outlive the test.
    child.kill('SIGKILL');
    const state = join(root, 'runtime', 'runc');
    for (const id of existsSync(state) ? readdirSync(state) : []) spawnSync('runc', ['--root', state, 'delete', '--force', id]);
  }
  const scratch = readdirSync(join(root, 'tmp')).filter((n) => n.startsWith(`build-${child.pid}-`));
  assert.equal(scratch.length, 1, 'the build left its scratch directory');
  const mounts = mountsUnder(root).map((p) => relative(root, p));
  assert.equal(mounts.length, 1, `the step's root filesystem stayed mounted: ${mounts.join(', ')}`);
  assert.match(mounts[0] as string, new RegExp(`^tmp/build-${child.pid}-[^/]+/rootfs-`));

  const found = check(root);
  assert.equal(found.status, 1);
  const gone = `the build \\(process ${child.pid}\\) that made it is gone`;
  assert.match(found.lines[0] as string, new RegExp(`^leftover: mount ${mounts[0]}: ${gone}$`));
  assert.match(found.lines[1] as string, new RegExp(`^leftover: build directory tmp/${scratch[0]}: ${gone}$`));
  assert.ok(found.lines.some((l) => new RegExp(`^leftover: lease [0-9a-f]+: its process \\(${child.pid}\\) is gone$`).test(l)), found.lines.join('\n'));
  assert.ok(found.lines.some((l) => new RegExp(`^leftover: snapshot build-${child.pid}-[0-9a-f]{12}: its process \\(${child.pid}\\) is gone$`).test(l)), found.lines.join('\n'));
  assert.ok(found.lines.every((l) => l.startsWith('leftover: ')), found.lines.join('\n'));
  assert.match(found.summary, new RegExp(`: ${found.lines.length} leftover\\(s\\), which --repair removes$`));

  const repaired = check(root, true);
  assert.equal(repaired.status, 0);
  assert.deepEqual(repaired.lines, found.lines.map((l) => l.replace(/^leftover: /, 'repaired: removed ')), 'the repair removes what the check listed');
  assert.match(repaired.summary, /: OK$/);
  assert.deepEqual(mountsUnder(root), []);
  assert.deepEqual(readdirSync(join(root, 'tmp')).filter((n) => n.startsWith('build-')), []);
  const clean = check(root);
  assert.deepEqual([clean.status, clean.lines], [0, []]);
  assert.match(clean.summary, /: OK$/);

  const again = strata(root, ['build', '--progress=plain', '-t', 'crash/build:1', ctx]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /\nagain\n|#\d+ [\d.]+ again\n/);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

test('a build container whose supervisor was killed as well: system check names it, --repair kills and deletes it', { timeout: 120_000 }, async () => {
  const root = storeWithBase();
  const child = spawn(STRATA_BIN, ['build', context(`FROM ${BASE}\nRUN sleep 1000\n`)], { env: { ...process.env, STRATA_ROOT: root }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const state = join(root, 'runtime', 'runc');
  try {
    const [sleeper] = await eventually(() => (sleepersIn(root).length > 0 ? sleepersIn(root) : undefined), 60_000, 'the RUN step to be sleeping');
    // kill -9 of the whole process tree but the container (its supervisor too): nothing is left to stop it.
    process.kill(supervisorOf(sleeper as number, root) as number, 'SIGKILL');
    child.kill('SIGKILL');
    await exited;
    assert.ok(sleeping(sleeper as number), 'the container runs on');
    const [id] = readdirSync(state);
    const found = check(root);
    assert.equal(found.status, 1);
    assert.equal(found.lines[0], `leftover: build container ${id} (running): the build (process ${child.pid}) that made it is gone`);
    const repaired = check(root, true);
    assert.equal(repaired.status, 0, repaired.lines.join('\n'));
    assert.deepEqual(repaired.lines, found.lines.map((l) => l.replace(/^leftover: /, 'repaired: removed ')));
    await eventually(() => (sleeping(sleeper as number) ? undefined : true), 15_000, 'the container to be killed');
    assert.deepEqual(readdirSync(state), []);
    assert.deepEqual(mountsUnder(root), []);
  } finally {
    child.kill('SIGKILL');
    for (const id of existsSync(state) ? readdirSync(state) : []) spawnSync('runc', ['--root', state, 'delete', '--force', id]);
  }
});

/** Offsets of the entries of a tar: where each header starts. */
function tarEntries(tar: Buffer): { name: string; offset: number; size: number }[] {
  const entries: { name: string; offset: number; size: number }[] = [];
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    const size = parseInt(tar.toString('utf8', at + 124, at + 136).replace(/\0.*$/s, '').trim(), 8);
    entries.push({ name, offset: at, size });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

test('kill -9 of a load leaves a blob nothing references and a partial write: system check lists both, --repair removes them', { timeout: 120_000 }, async () => {
  const dir = tempDir('strata-load-');
  const archive = join(dir, 'image.tar');
  const [small, big] = await writeLayeredArchive(archive, [
    [{ name: 'small.txt', type: 'file', body: Buffer.from('small\n') }],
    [{ name: 'big.bin', type: 'file', body: randomBytes(4 * 1024 * 1024) }],
  ], 'crash/load:1');
  const bytes = readFileSync(archive);
  const bigEntry = tarEntries(bytes).find((e) => e.name === `blobs/sha256/${(big as string).slice(7)}`);
  assert.ok(bigEntry);
  const root = tempDir();
  strataOk(root, ['images']);
  const child = spawn(STRATA_BIN, ['load'], { env: { ...process.env, STRATA_ROOT: root }, stdio: ['pipe', 'ignore', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // The kill below may come while part of this write is still in the pipe: its EPIPE is expected.
  child.stdin.on('error', () => {});
  // Everything up to the middle of the big layer; stdin stays open, so the load waits there.
  child.stdin.write(bytes.subarray(0, bigEntry.offset + 512 + 2 * 1024 * 1024));
  const smallBlob = join(root, 'content', 'blobs', 'sha256', (small as string).slice(7));
  await eventually(() => (existsSync(smallBlob) && ingestBytes(root) >= 1024 * 1024 ? true : undefined), 60_000, 'the small layer to be stored and the big one to be half written');
  child.kill('SIGKILL');
  await exited;
  const ingest = readdirSync(join(root, 'content', 'ingest'));
  assert.equal(ingest.length, 1);
  assert.equal(strataOk(root, ['images', '-q']), '', 'nothing half-loaded is listed');

  const found = check(root);
  assert.equal(found.status, 1, 'leftovers are not OK');
  assert.ok(found.lines.includes(`leftover: partial write content/ingest/${ingest[0]} (${humanSize(ingestBytes(root))}): its process (${child.pid}) is gone`), found.lines.join('\n'));
  assert.ok(found.lines.includes(`leftover: blob ${small} (2.05kB): nothing references it`), found.lines.join('\n'));
  assert.ok(found.lines.some((l) => new RegExp(`^leftover: lease [0-9a-f]+: its process \\(${child.pid}\\) is gone$`).test(l)), found.lines.join('\n'));
  assert.match(found.summary, new RegExp(`: ${found.lines.length} leftover\\(s\\), which --repair removes$`));

  const repaired = check(root, true);
  assert.equal(repaired.status, 0);
  assert.deepEqual(repaired.lines, found.lines.map((l) => l.replace(/^leftover: /, 'repaired: removed ')));
  assert.match(repaired.summary, /: OK$/);
  assert.deepEqual(readdirSync(join(root, 'content', 'ingest')), []);
  assert.equal(existsSync(smallBlob), false);
  assert.deepEqual(check(root).lines, []);
  assert.equal(strataOk(root, ['load', '-i', archive]), 'Loaded image: crash/load:1\n');
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

test('system check names what a crash left in the snapshot store, and --repair removes just that', () => {
  const root = tempDir();
  strataOk(root, ['images']);
  const dead = spawnSync('true').pid as number;
  const snapshots = join(root, 'snapshots');
  // A directory made by a process killed before it recorded it, an hour ago; one made just now
  // (its maker may be about to record it); a removal interrupted by a crash; one under way.
  mkdirSync(join(snapshots, 'overlay', 'unrecorded', 'fs'), { recursive: true });
  const hoursAgo = Date.now() / 1000 - 2 * 3600;
  utimesSync(join(snapshots, 'overlay', 'unrecorded'), hoursAgo, hoursAgo);
  mkdirSync(join(snapshots, 'overlay', 'young', 'fs'), { recursive: true });
  mkdirSync(join(snapshots, 'trash', `overlay-old-1.pid${dead}`, 'fs'), { recursive: true });
  mkdirSync(join(snapshots, 'trash', `overlay-busy-1.pid${process.pid}`, 'fs'), { recursive: true });

  const found = check(root);
  assert.equal(found.status, 1);
  assert.deepEqual(found.lines, [
    'leftover: directory snapshots/overlay/unrecorded: no snapshot record names it (for over an hour)',
    `leftover: directory snapshots/trash/overlay-old-1.pid${dead}: its removal was interrupted`,
  ]);
  assert.match(found.summary, /: 2 leftover\(s\), which --repair removes$/);
  const repaired = check(root, true);
  assert.deepEqual(repaired.lines, found.lines.map((l) => l.replace(/^leftover: /, 'repaired: removed ')));
  assert.match(repaired.summary, /: OK$/);
  assert.deepEqual(readdirSync(join(snapshots, 'overlay')), ['young']);
  assert.deepEqual(readdirSync(join(snapshots, 'trash')), [`overlay-busy-1.pid${process.pid}`]);
});
