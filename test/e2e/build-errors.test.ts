// Bad input to a build: each gets a clear error naming the input and its position, exit
// status 1, and leaves the store as it was (no image, tag, cache entry, snapshot, mount or
// scratch file added).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.ts';
import Sqlite from 'better-sqlite3';
import { BASE, context, storeState, storeWithBase, strata } from './build-fixture.ts';

const root = storeWithBase();

function leftovers(): string[] {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    const snapshots = (db.prepare("SELECT key FROM snapshots WHERE kind != 'committed'").all() as { key: string }[]).map((r) => `snapshot ${r.key}`);
    const leases = (db.prepare('SELECT id FROM leases').all() as { id: string }[]).map((r) => `lease ${r.id}`);
    const tmp = readdirSync(join(root, 'tmp')).map((n) => `tmp/${n}`);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(root)).map((l) => `mount ${l.split(' ')[4]}`);
    return [...snapshots, ...leases, ...tmp, ...mounts];
  } finally {
    db.close();
  }
}

function failing(dockerfile: string, args: string[], expected: RegExp[], files: Record<string, string> = {}, unchanged = true): string {
  const ctx = context(dockerfile, files);
  const before = storeState(root);
  const r = strata(root, ['build', ...args, ctx]);
  assert.equal(r.status, 1, r.stderr);
  for (const e of expected) assert.match(r.stderr, e);
  if (unchanged) assert.deepEqual(storeState(root), before, 'the store changed');
  assert.deepEqual(leftovers(), []);
  return r.stderr;
}

test('an unknown instruction names the file, line and instruction, and shows the line', () => {
  failing(`FROM ${BASE}\nRUN true\nFROBNICATE now\n`, ['-q'], [
    /Dockerfile:3: unknown instruction: FROBNICATE/,
    /Dockerfile:3\n-+\n {3}1 \| {5}FROM cbase\/busybox:1\n {3}2 \| {5}RUN true\n {3}3 \| >>> FROBNICATE now\n-+\n/,
  ]);
});

test('a Dockerfile without FROM', () => {
  failing('RUN echo hi\n', ['-q'], [/Dockerfile:1: no build stage in current context/, /Hint: a Dockerfile must start with FROM/]);
});

test('a missing COPY source is found before anything runs', () => {
  failing(`FROM ${BASE}\nRUN echo first\nCOPY nothere.txt /x\n`, ['--progress=plain'], [
    /failed to compute cache key: "\/nothere\.txt": not found/,
    /Dockerfile:3\n/,
  ]);
});

test('a failing RUN shows its output and exit code', () => {
  const err = failing(`FROM ${BASE}\nRUN echo to-stdout; echo to-stderr >&2; exit 7\n`, ['-q'], [
    /------\n > \[2\/2\] RUN echo to-stdout; echo to-stderr >&2; exit 7:\n/,
    /to-stdout/,
    /to-stderr/,
    /ERROR: failed to solve: process "\/bin\/sh -c echo to-stdout; echo to-stderr >&2; exit 7" did not complete successfully: exit code: 7/,
  ]);
  assert.match(err, /Dockerfile:2\n/);
});

test('an exec-form RUN of a missing binary', () => {
  failing(`FROM ${BASE}\nRUN ["/no/such/binary"]\n`, ['-q'], [/process "\/no\/such\/binary" did not complete successfully: .*no such file or directory/]);
});

test('an unknown base image', () => {
  failing('FROM ccase/no-such-image:404\nRUN true\n', ['-q'], [/Dockerfile:1\n/, /failed to resolve source metadata for docker\.io\/ccase\/no-such-image:404/]);
});

test('a --target that is not a stage', () => {
  failing(`FROM ${BASE} AS one\nRUN true\n`, ['-q', '--target', 'two'], [/target stage "two" could not be found/]);
});

test('an unterminated heredoc', () => {
  failing(`FROM ${BASE}\nRUN <<EOF\necho never closed\n`, ['-q'], [/Dockerfile:2: unterminated heredoc/, /Dockerfile:2-3\n/]);
});

test('a bad flag value and an unsupported mount fail at their instruction', () => {
  failing(`FROM ${BASE}\nCOPY --chmod=999 a /a\n`, ['-q'], [/invalid chmod parameter: '999'/, /Dockerfile:2\n/], { a: 'a' });
  failing(`FROM ${BASE}\nRUN --mount=type=ssh true\n`, ['-q'], [/type=ssh is not supported/]);
  failing(`FROM ${BASE} AS first\nCOPY --from=later /x /x\nFROM ${BASE} AS later\nFROM first\n`, ['-q'], [/cannot copy from stage "later", it needs to be defined before current stage "first"/, /Dockerfile:2\n/]);
});

test('a failure in one of two parallel stages fails the build and leaves no scratch state behind', () => {
  // The other stage's finished steps stay in the cache, as BuildKit keeps them.
  failing(`FROM ${BASE} AS ok\nRUN sleep 1; echo ok > /ok\nFROM ${BASE} AS bad\nRUN exit 3\nFROM ${BASE}\nCOPY --from=ok /ok /ok\nCOPY --from=bad /x /x\n`, ['-q'], [/exit code: 3/], {}, false);
  assert.equal(storeState(root).tags.filter((t) => !t.includes('cbase')).length, 0);
});

test('kill -9 during a RUN: the next build removes the dead build\'s mounts and scratch files, a prune its snapshots', async () => {
  const { spawn } = await import('node:child_process');
  const { STRATA_BIN } = await import('../helpers/strata-cli.ts');
  const ctx = context(`FROM ${BASE}\nRUN sleep 30\n`);
  const child = spawn(STRATA_BIN, ['build', '--progress=plain', ctx], { env: { ...process.env, STRATA_ROOT: root }, stdio: ['ignore', 'ignore', 'pipe'] });
  let progress = '';
  child.stderr.on('data', (b: Buffer) => { progress += b.toString(); });
  // Killed once the step's container exists (runc keeps its state under the store's runtime/runc).
  const runcState = join(root, 'runtime', 'runc');
  await eventually(() => (progress.includes('RUN sleep 30\n') && existsSync(runcState) && readdirSync(runcState).length > 0 ? true : undefined), 60_000, 'the RUN step to run');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  assert.ok(leftovers().length > 0, 'the killed build left its scratch state');
  const again = strata(root, ['build', '-q', context(`FROM ${BASE}\nRUN echo next\n`)]);
  assert.equal(again.status, 0, again.stderr);
  strata(root, ['image', 'prune', '-f']);
  assert.deepEqual(leftovers(), []);
});
