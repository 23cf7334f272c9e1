// A container that fills the disk its store lives on: the supervisor survives the ENOSPC on
// the json-file log and on its state file, records the real exit status, and `--rm` still
// removes the container (which frees the space). The store is on a 128 MiB tmpfs of its own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESERVE_FILE } from '../../src/metadata/index.ts';
import { BUSYBOX, busyboxTree, canRunContainers, eventually, removeAll, strata, strataOk } from './containers-fixture.ts';

const skip = canRunContainers() ? false : 'needs root and runc';
const dir = mkdtempSync(join(tmpdir(), 'strata-full-'));
const disk = join(dir, 'disk');
const root = join(disk, 'store');

if (!skip) {
  mkdirSync(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128m', 'tmpfs', disk]);
  const tar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', busyboxTree(dir), '-cf', tar, '.']);
  strataOk(root, ['import', '-c', 'CMD ["/bin/sh"]', tar, BUSYBOX]);
}
after(() => {
  try {
    if (!skip) removeAll(root);
  } finally {
    // Lazily if a container a failed test left can't be removed: no mount outlives the run.
    if (!skip) execFileSync('umount', ['-l', disk]);
    rmSync(dir, { recursive: true, force: true });
  }
});

function freeBytes(): number {
  const s = statfsSync(disk);
  return s.bavail * s.bsize;
}

/** Writes /fill until the disk is full, then 20,000 more lines (more than a pipe holds) on stdout. */
const FILL_THEN_TALK = 'echo before; dd if=/dev/zero of=/fill bs=1M 2>&1; seq 1 20000; echo after';
const SEQ = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('');

/**
 * Runs `script` detached, then a mark on a host directory (off the full disk) and exit 3;
 * resolves once the mark is there, so no command of the test opens the store mid-fill.
 */
async function runDetached(args: string[], script: string): Promise<string> {
  const marks = mkdtempSync(join(dir, 'marks-'));
  const id = strataOk(root, ['run', '-d', '-v', `${marks}:/marks`, ...args, BUSYBOX, 'sh', '-c', `${script}; touch /marks/done; exit 3`]).trim();
  await eventually(() => (existsSync(join(marks, 'done')) ? true : undefined), 60_000, 'the container to finish writing');
  return id;
}

function checkOk(): void {
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
}

/** The space the container took is back (give or take the database's own files). */
function spaceBack(before: number): void {
  assert.ok(freeBytes() > before - (2 << 20), `free ${freeBytes()} bytes, ${before} before the run`);
}

test('run --rm filling the disk: exits with the container\'s status, is removed, the space comes back', { skip }, () => {
  const before = freeBytes();
  const r = strata(root, ['run', '--rm', BUSYBOX, 'sh', '-c', `${FILL_THEN_TALK}; exit 3`]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /^before\ndd: error writing '\/fill': No space left on device\n/);
  // The output kept flowing though the log could not take it: no stall, no SIGPIPE.
  assert.ok(r.stdout.endsWith(`${SEQ}after\n`), r.stdout.slice(-200));
  assert.equal(r.stderr, '');
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  spaceBack(before);
  checkOk();
});

test('run -d filling the disk: inspect gives its exit code, the log keeps whole lines, rm frees the space', { skip }, async () => {
  const before = freeBytes();
  const id = await runDetached(['--name', 'filler'], FILL_THEN_TALK);
  assert.equal(strataOk(root, ['wait', 'filler']), '3\n');
  assert.ok(freeBytes() < 4 << 20, `the disk is full: ${freeBytes()} bytes free`);
  assert.equal(strataOk(root, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{json .State.Error}}', 'filler']), 'exited 3 ""\n');
  assert.match(strataOk(root, ['ps', '-a', '--format', '{{.Status}}']), /^Exited \(3\) /);
  // Lines that found no room were dropped whole: every line of the file is a record.
  const lines = readFileSync(join(root, 'containers', id, `${id}-json.log`), 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  assert.equal((JSON.parse(lines[0] as string) as { log: string }).log, 'before\n');
  assert.match(strataOk(root, ['logs', 'filler']), /^before\n/);
  strataOk(root, ['rm', 'filler']);
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  spaceBack(before);
  checkOk();
});

test('run -d --rm filling the disk: removed, though a ps meanwhile gave the store\'s reserve to the container', { skip }, async () => {
  const before = freeBytes();
  const marks = mkdtempSync(join(dir, 'marks-'));
  // Fills the disk, then goes on logging (so it takes any room given back) until told to stop.
  const script = 'dd if=/dev/zero of=/fill bs=1M 2>/dev/null; touch /marks/full; while [ ! -e /marks/stop ]; do echo more; done; exit 3';
  const id = strataOk(root, ['run', '-d', '--rm', '-v', `${marks}:/marks`, BUSYBOX, 'sh', '-c', script]).trim();
  await eventually(() => (existsSync(join(marks, 'full')) ? true : undefined), 60_000, 'the disk to fill');
  // A ps now (it may fail) gives back the store's reserve, which the container then takes.
  strata(root, ['ps', '-a']);
  await eventually(() => (!existsSync(join(root, RESERVE_FILE)) && freeBytes() < 64 << 10 ? true : undefined), 30_000, 'the reserve to be used up');
  writeFileSync(join(marks, 'stop'), '');
  // The supervisor gives back the room it took before the container ran: its `rm` fits.
  await eventually(() => (existsSync(join(root, 'containers', id)) ? undefined : true), 60_000, 'the container to be removed');
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  spaceBack(before);
  checkOk();
});

test('the log fills the disk: the container goes on writing and its exit is recorded', { skip }, async () => {
  const before = freeBytes();
  // 150 MB of output, 1 KB lines: more than the disk holds as json-file records.
  const id = await runDetached(['--name', 'talker'], 'yes "$(printf %1000s | tr " " x)" | head -n 150000; echo after');
  assert.equal(strataOk(root, ['wait', 'talker']), '3\n');
  assert.ok(freeBytes() < 4 << 20, `the log filled the disk: ${freeBytes()} bytes free`);
  const lines = readFileSync(join(root, 'containers', id, `${id}-json.log`), 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  assert.ok(lines.length > 1000 && lines.length < 150000, `${lines.length} records`);
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line.slice(0, 100));
  strataOk(root, ['rm', 'talker']);
  spaceBack(before);
  checkOk();
});
