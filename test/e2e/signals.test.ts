// Ctrl-C as a person presses it: a real SIGINT to the command's whole process group (as a
// terminal sends it, so helpers such as runc and tar get it too), or a SIGTERM to the command
// alone (as `kill PID` sends it), while the command is in the middle of its work — a pull or
// push stalled halfway through a large blob, a build whose RUN is still running, a load or
// import reading a stdin the test has fed only in part, a save or export writing to a pipe
// the test stopped reading, a commit stopped (SIGSTOP) halfway through a large layer. Each
// time: the command exits with docker's status (128 + the signal's number; 130 for a build,
// as BuildKit exits), prints no error and no stack, leaves the store as it was (nothing
// partial, no lease, no mount, no frozen or running container; a pull keeps the whole layers
// it had finished, for the next pull), and the same command run again succeeds. The rule for
// a third press is in test/unit/cli/interrupt.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir } from '../helpers/temp-dir.ts';
import { STRATA_BIN, strata, strataOk } from '../helpers/strata-cli.ts';
import { strataAsync } from '../helpers/registry-cli.ts';
import { storeContents, type StoreContents } from '../helpers/store-contents.ts';
import { assertOnlyGarbage } from '../helpers/store-check.ts';
import { writeBigArchive } from '../helpers/big-archive.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { startProxy } from '../helpers/registry-proxy.ts';
import { makeImage, makeLayer, RawRegistry } from '../helpers/registry-images.ts';
import { interrupt as signalCli, signalStatus, stopped, tgkill, type TerminationSignal } from '../helpers/signals.ts';
import { BUSYBOX, busyboxTree, mountsUnder, storeWithBusybox } from './containers-fixture.ts';

type Signal = TerminationSignal;

interface Cli {
  child: ChildProcess;
  pid: number;
  out: Buffer[];
  err: Buffer[];
  exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Cli>();
after(() => {
  for (const cli of running) cli.child.kill('SIGKILL');
});

/**
 * Starts the CLI in a process group of its own (as a shell starts a foreground job), so a
 * Ctrl-C reaches it and its helpers only. `readStdout: false` leaves its stdout unread: a
 * pipe the reader stopped draining.
 */
function startCli(root: string, args: string[], options: { readStdout?: boolean } = {}): Cli {
  const child = spawn(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const cli: Cli = {
    child, pid: child.pid as number, out: [], err: [],
    exited: new Promise((resolve) => child.once('exit', (status, signal) => resolve({ status, signal }))),
  };
  running.add(cli);
  void cli.exited.then(() => running.delete(cli));
  if (options.readStdout !== false) child.stdout?.on('data', (b: Buffer) => cli.out.push(b));
  child.stderr?.on('data', (b: Buffer) => cli.err.push(b));
  child.stdin?.on('error', () => undefined);
  return cli;
}

const text = (chunks: Buffer[]): string => Buffer.concat(chunks).toString();

/**
 * Polls `check` until it holds; the test's own timeout bounds the wait. `closely` polls at
 * every turn of the event loop, to catch a fast command in the middle of its work.
 */
async function waitFor(check: () => boolean, cli?: Cli, closely = false): Promise<void> {
  while (!check()) {
    if (cli !== undefined && cli.child.exitCode !== null) throw new Error(`the command exited ${cli.child.exitCode} before the moment to interrupt it: ${text(cli.err)}`);
    await new Promise((r) => (closely ? setImmediate(r) : setTimeout(r, 10)));
  }
}

/** Ctrl-C (SIGINT to the command's process group) or SIGTERM (to the command alone); see helpers/signals.ts. */
function interrupt(cli: Cli, sig: Signal): Promise<void> {
  return signalCli(cli.pid, sig);
}

/** Waits for the exit after a signal and checks it is docker's: the status, no error, no stack. */
async function assertInterrupted(cli: Cli, sig: Signal, expectedStderr: string | RegExp = ''): Promise<void> {
  const { status, signal } = await cli.exited;
  const stderr = text(cli.err);
  assert.equal(signal, null, `strata exited by itself, not killed by ${signal}; stderr: ${stderr}`);
  assert.equal(status, signalStatus(sig), `exit status after ${sig}; stderr: ${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  assert.doesNotMatch(stderr, /internal error/);
  if (typeof expectedStderr === 'string') assert.equal(stderr, expectedStderr);
  else assert.match(stderr, expectedStderr);
}

/** Sizes of the files in a store directory (content/ingest, tmp…), by name. */
function filesIn(root: string, dir: string): string[] {
  const path = join(root, dir);
  if (!existsSync(path)) return [];
  return readdirSync(path).map((name) => `${name} ${statSync(join(path, name)).size}`);
}

function ingestBytes(root: string): number {
  return filesIn(root, 'content/ingest').reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
}

/** A new, empty store (opened once, so that its layout exists). */
function freshStore(): string {
  const root = tempDir();
  strataOk(root, ['images']);
  return root;
}

/** The store is what it was before the command: same files, same rows, `system check` clean, nothing more mounted. */
function assertUnchanged(root: string, before: StoreContents, mountsBefore: string[] = []): void {
  const now = storeContents(root);
  assert.deepEqual(now.files, before.files, 'no file added or left half-written under the store');
  assert.deepEqual(now.rows, before.rows, 'no record added, no lease left');
  assert.match(now.check, /^checked \d+ blob\(s\) and \d+ image\(s\): OK\n$/, 'system check has nothing to say');
  assert.deepEqual(mountsUnder(root), mountsBefore, 'nothing left mounted under the store');
}

// Everything shared is made before the first test is declared: the tests start as soon as
// they are, and the file's clean-up (temporary directories) runs when they are all done.

// A docker-archive of one image with a 64 MB layer, for load, save, export and cp.
const bigArchive = join(tempDir('strata-signals-big-'), 'big.tar');
await writeBigArchive(bigArchive, 64 * 1024 * 1024, 'signals/big:1');

// ---------------------------------------------------------------- registry: pull and push

const registry = await startRegistry();
const proxy = await startProxy(registry.host);
const raw = new RawRegistry(registry.url);
// A small layer and a 24 MB one (random, so gzip can't shrink it), pushed straight to the registry.
const small = await makeLayer({ 'etc/small': 'small layer\n' }, { compression: 'none' });
const big = await makeLayer({ 'big.bin': randomBytes(24 * 1024 * 1024) }, { compression: 'none' });
const pulled = makeImage([small, big]);
await raw.pushImage('signals/pull', '1', pulled);
const STALL_AT = 2 * 1024 * 1024;

/** Makes the proxy stall the big layer's download after 2 MB; resolves when it did. */
function stallBigBlob(): Promise<void> {
  let stalled!: () => void;
  const done = new Promise<void>((resolve) => (stalled = resolve));
  proxy.holdResponse = (path, sent) => {
    if (!path.includes(`/blobs/${big.digest}`) || sent < STALL_AT) return false;
    stalled();
    return true;
  };
  return done;
}

async function interruptedPull(sig: Signal): Promise<{ root: string; cli: Cli; before: StoreContents }> {
  const root = freshStore();
  const before = storeContents(root);
  const stalled = stallBigBlob();
  const cli = startCli(root, ['pull', `${proxy.host}/signals/pull:1`]);
  // Mid-blob: the registry sent 2 MB of the big layer and the pull has been writing them.
  await stalled;
  await waitFor(() => ingestBytes(root) > 0, cli);
  assert.match(text(cli.out), /Pulling fs layer/);
  await interrupt(cli, sig);
  return { root, cli, before };
}

async function pullAgain(root: string): Promise<void> {
  proxy.holdResponse = undefined;
  // Not a synchronous spawn: the proxy runs in this process.
  const r = await strataAsync(root, ['pull', `${proxy.host}/signals/pull:1`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(strataOk(root, ['images', '-q', '--no-trunc']), `${pulled.configDigest}\n`);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
}

/**
 * What an interrupted pull may leave: only whole, verified blobs and layers no record
 * refers to, kept so that a new pull need not fetch them again (the registry-faults tests
 * count on it); never a partial write, a record, a lease or a mount. `system check
 * --repair` (or the next prune) removes them, giving back the store as it was.
 */
function assertPullLeftNothingPartial(root: string, before: StoreContents): void {
  const now = storeContents(root);
  assert.deepEqual(filesIn(root, 'content/ingest'), [], 'no partial blob');
  assert.deepEqual(now.rows['leases'], [], 'no lease left');
  for (const table of ['images', 'tags', 'repo_digests', 'layers', 'layer_blobs']) assert.deepEqual(now.rows[table], [], `no ${table} record`);
  assert.deepEqual(now.rows['snapshots']?.filter((r) => (JSON.parse(r as string) as { kind: string }).kind !== 'committed'), [], 'no snapshot left half-extracted');
  assert.deepEqual(mountsUnder(root), []);
  assertOnlyGarbage(now.check);
  strataOk(root, ['system', 'check', '--repair']);
  // Every pull leaves its (empty) lock directory.
  const after = storeContents(root);
  assert.deepEqual(after.files.filter((f) => f !== 'tmp/fetch-locks/'), before.files);
  assert.deepEqual(after.rows, before.rows);
}

test('Ctrl-C in the middle of a pull: exit 130, nothing partial left, and the pull works again', { timeout: 120_000 }, async () => {
  const { root, cli, before } = await interruptedPull('SIGINT');
  await assertInterrupted(cli, 'SIGINT');
  assertPullLeftNothingPartial(root, before);
  await pullAgain(root);
});

test('SIGTERM in the middle of a pull: exit 143, nothing partial left; a new pull reuses the layers it had finished', { timeout: 120_000 }, async () => {
  const { root, cli } = await interruptedPull('SIGTERM');
  await assertInterrupted(cli, 'SIGTERM');
  assert.deepEqual(filesIn(root, 'content/ingest'), []);
  assert.deepEqual(storeContents(root).rows['leases'], []);
  const requests = proxy.requests.length;
  await pullAgain(root);
  const fetched = proxy.requests.slice(requests).filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).map((r) => r.path.replace(/^.*\/blobs\//, ''));
  assert.deepEqual(fetched, [big.digest], 'only the blob it had not finished');
});

test('a second Ctrl-C while a pull cleans up is ignored: the clean-up finishes', { timeout: 120_000 }, async () => {
  const root = freshStore();
  const before = storeContents(root);
  const stalled = stallBigBlob();
  const cli = startCli(root, ['pull', `${proxy.host}/signals/pull:1`]);
  await stalled;
  await waitFor(() => ingestBytes(root) > 0, cli);
  // Two presses that both reach the command before it can act on the first: sent while it
  // is stopped, one to its main thread and one to the process, so the kernel keeps both.
  process.kill(cli.pid, 'SIGSTOP');
  await waitFor(() => stopped(cli.pid));
  tgkill(cli.pid, cli.pid, 'SIGINT');
  process.kill(-cli.pid, 'SIGINT');
  process.kill(cli.pid, 'SIGCONT');
  await assertInterrupted(cli, 'SIGINT');
  assertPullLeftNothingPartial(root, before);
});

test('Ctrl-C in the middle of a push: exit 130, the local store untouched, and the push works again', { timeout: 120_000 }, async () => {
  const root = freshStore();
  // A local image with a 16 MB layer of its own, gzipped as it is pushed.
  const archive = join(tempDir('strata-signals-'), 'push.tar');
  const bytes = randomBytes(16 * 1024 * 1024);
  const ctxDir = tempDir('strata-signals-');
  writeFileSync(join(ctxDir, 'big.bin'), bytes);
  spawnSync('tar', ['-C', ctxDir, '-cf', archive, 'big.bin']);
  const ref = `${proxy.host}/signals/push:1`;
  strataOk(root, ['import', archive, ref]);
  const before = storeContents(root);
  let stalled!: () => void;
  const uploadStalled = new Promise<void>((resolve) => (stalled = resolve));
  proxy.holdRequest = (path, received) => {
    if (!path.includes('/blobs/uploads/') || received < STALL_AT) return false;
    stalled();
    return true;
  };
  try {
    const cli = startCli(root, ['push', ref]);
    await uploadStalled;
    assert.match(text(cli.out), /Preparing|Pushing|Waiting/);
    await interrupt(cli, 'SIGINT');
    await assertInterrupted(cli, 'SIGINT');
    assertUnchanged(root, before);
  } finally {
    proxy.holdRequest = undefined;
  }
  const r = await strataAsync(root, ['push', ref]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await raw.getManifest('signals/push', '1')).status, 200);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

// ---------------------------------------------------------------- build

/**
 * A gate the build's RUN waits on (busybox wget to 127.0.0.1, over the host network builds
 * use by default): while closed, requests hang; once open, they get an answer.
 */
async function startGate(): Promise<{ port: number; open: () => void; reached: Promise<void> }> {
  let isOpen = false;
  let reached!: () => void;
  const reachedP = new Promise<void>((resolve) => (reached = resolve));
  const waiting = new Set<() => void>();
  const server: Server = createServer((_req, res) => {
    reached();
    const answer = (): void => {
      res.end('open\n');
    };
    if (isOpen) answer();
    else waiting.add(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    port: (server.address() as AddressInfo).port,
    open: () => {
      isOpen = true;
      for (const answer of waiting) answer();
      waiting.clear();
    },
    reached: reachedP,
  };
}

/** The containers in a store's runc root, running or not (a build's RUN containers live there). */
function runcContainers(root: string): string[] {
  const r = spawnSync('runc', ['--root', join(root, 'runtime', 'runc'), 'list', '-q'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} while a build's RUN runs: BuildKit's message and 130, no container, nothing half-built, and the build works again`, { timeout: 180_000 }, async () => {
    const root = storeWithBusybox();
    const gate = await startGate();
    const dir = tempDir('strata-signals-ctx-');
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo first > /first\nRUN echo started && wget -q -O /gate http://127.0.0.1:${gate.port}/\n`);
    const args = ['build', '--progress=plain', '-t', 'signals/built:1', dir];
    const cli = startCli(root, args);
    // The RUN is running: its container printed, then asked the gate.
    await gate.reached;
    await waitFor(() => /started/.test(text(cli.err)), cli);
    assert.equal(runcContainers(root).length, 1, 'the RUN container is there');
    await interrupt(cli, sig);
    const { status, signal } = await cli.exited;
    const stderr = text(cli.err);
    assert.equal(signal, null, stderr);
    // BuildKit (docker build's builder) exits 130 for a canceled build, whichever signal canceled it.
    assert.equal(status, 130, stderr);
    assert.match(stderr, /\nERROR: failed to solve: Canceled: context canceled\n$/);
    assert.doesNotMatch(stderr, /^\s+at .+:\d+:\d+\)?$/m);
    assert.deepEqual(runcContainers(root), [], 'no RUN container left, running or not');
    assert.deepEqual(mountsUnder(root), []);
    assert.deepEqual(filesIn(root, 'content/ingest'), []);
    assert.deepEqual(filesIn(root, 'tmp'), [], 'the build\'s scratch space is gone');
    const contents = storeContents(root);
    assert.deepEqual(contents.rows['leases'], []);
    assert.deepEqual(contents.rows['images']?.length, 1, 'only the base image');
    assert.equal(contents.rows['snapshots']?.filter((r) => (JSON.parse(r as string) as { kind: string }).kind !== 'committed').length, 0, 'no active snapshot left');
    assert.match(contents.check, /: OK\n$/);
    gate.open();
    const again = await strataAsync(root, args);
    assert.equal(again.status, 0, again.stderr);
    assert.match(strataOk(root, ['images', '--format', '{{.Repository}}:{{.Tag}}']), /^signals\/built:1$/m);
  });
}

// ---------------------------------------------------------------- load, import, save

/** Feeds the first `bytes` of `file` to the command's stdin, then stalls (stdin stays open). */
async function feedPart(cli: Cli, file: string, bytes: number): Promise<void> {
  const stdin = cli.child.stdin;
  assert.ok(stdin);
  for await (const chunk of createReadStream(file, { end: bytes - 1 })) {
    if (!stdin.write(chunk as Buffer)) await new Promise((r) => stdin.once('drain', r));
  }
}

test('Ctrl-C while load reads a slow stdin: exit 130, nothing of it in the store, and the load works again', { timeout: 120_000 }, async () => {
  const root = freshStore();
  const before = storeContents(root);
  const cli = startCli(root, ['load']);
  await feedPart(cli, bigArchive, 16 * 1024 * 1024);
  await waitFor(() => ingestBytes(root) > 0, cli);
  await interrupt(cli, 'SIGINT');
  await assertInterrupted(cli, 'SIGINT');
  assertUnchanged(root, before);
  assert.equal(strataOk(root, ['load', '-i', bigArchive]), 'Loaded image: signals/big:1\n');
});

test('SIGTERM while import reads a slow stdin: exit 143, nothing of it in the store, and the import works again', { timeout: 120_000 }, async () => {
  const root = freshStore();
  const tree = busyboxTree(tempDir('strata-signals-tree-'));
  writeFileSync(join(tree, 'big.bin'), Buffer.alloc(48 * 1024 * 1024, 1));
  const tar = join(tempDir('strata-signals-'), 'rootfs.tar');
  spawnSync('tar', ['-C', tree, '-cf', tar, '.']);
  const before = storeContents(root);
  const cli = startCli(root, ['import', '-', 'signals/imported:1']);
  await feedPart(cli, tar, 16 * 1024 * 1024);
  await waitFor(() => ingestBytes(root) > 0, cli);
  await interrupt(cli, 'SIGTERM');
  await assertInterrupted(cli, 'SIGTERM');
  assertUnchanged(root, before);
  assert.match(strataOk(root, ['import', tar, 'signals/imported:1']), /^sha256:[0-9a-f]{64}\n$/);
});

test('Ctrl-C while save writes to a pipe the reader stopped draining: exit 130, the store untouched, and save works again', { timeout: 120_000 }, async () => {
  const root = freshStore();
  strataOk(root, ['load', '-i', bigArchive]);
  const before = storeContents(root);
  const cli = startCli(root, ['save', 'signals/big:1'], { readStdout: false });
  // Read 1 MB of the archive, then stop reading: the save waits on a full pipe.
  const stdout = cli.child.stdout;
  assert.ok(stdout);
  let got = 0;
  await new Promise<void>((resolve) => {
    const onData = (b: Buffer): void => {
      got += b.length;
      if (got < 1024 * 1024) return;
      stdout.pause();
      stdout.off('data', onData);
      resolve();
    };
    stdout.on('data', onData);
  });
  await interrupt(cli, 'SIGINT');
  await assertInterrupted(cli, 'SIGINT');
  assertUnchanged(root, before);
  const again = strata(root, ['save', 'signals/big:1']);
  assert.equal(again.status, 0, again.stderr);
  assert.ok(again.stdout.length > 64 * 1024 * 1024);
});

test('SIGTERM while save -o writes its file: exit 143, no file and no temporary file left beside it', { timeout: 180_000 }, async () => {
  const root = freshStore();
  strataOk(root, ['load', '-i', bigArchive]);
  const before = storeContents(root);
  const reference = tempDir('strata-signals-out-');
  strataOk(root, ['save', '-o', join(reference, 'out.tar'), 'signals/big:1']);
  const whole = statSync(join(reference, 'out.tar')).size;
  // A file can't be made to stall as a pipe can: the command is stopped (SIGSTOP) as soon
  // as its temporary file appears, and tried again (killed) if it had already written it all.
  let outDir = '';
  let cli: Cli | undefined;
  for (let attempt = 1; cli === undefined; attempt++) {
    assert.ok(attempt <= 5, 'five saves in a row were done before they could be stopped');
    outDir = tempDir('strata-signals-out-');
    const started = startCli(root, ['save', '-o', join(outDir, 'out.tar'), 'signals/big:1']);
    await waitFor(() => readdirSync(outDir).length > 0, started, true);
    process.kill(started.pid, 'SIGSTOP');
    const names = readdirSync(outDir);
    if (names.length === 1 && names[0]?.startsWith('.tmp-') && statSync(join(outDir, names[0])).size < whole) cli = started;
    else {
      started.child.kill('SIGKILL');
      await started.exited;
    }
  }
  process.kill(cli.pid, 'SIGTERM');
  process.kill(cli.pid, 'SIGCONT');
  await assertInterrupted(cli, 'SIGTERM');
  assert.deepEqual(readdirSync(outDir), [], 'neither out.tar nor its temporary file');
  assertUnchanged(root, before);
  strataOk(root, ['save', '-o', join(outDir, 'out.tar'), 'signals/big:1']);
  assert.deepEqual(readdirSync(outDir), ['out.tar']);
});

// ---------------------------------------------------------------- containers: export, cp, commit

function state(root: string, name: string): string {
  return strataOk(root, ['inspect', '-f', '{{.State.Status}}', name]).trim();
}

test('Ctrl-C while export writes to a stalled pipe: exit 130, the container\'s layers unmounted again', { timeout: 120_000 }, async () => {
  const root = storeWithBusybox();
  strataOk(root, ['create', '--name', 'exp', BUSYBOX]);
  strataOk(root, ['cp', bigArchive, 'exp:/big.tar']);
  const before = storeContents(root);
  const cli = startCli(root, ['export', 'exp'], { readStdout: false });
  const stdout = cli.child.stdout;
  assert.ok(stdout);
  await new Promise<void>((resolve) => stdout.once('data', () => {
    stdout.pause();
    resolve();
  }));
  assert.ok(mountsUnder(root).length > 0, 'export mounted the container\'s layers');
  await interrupt(cli, 'SIGINT');
  await assertInterrupted(cli, 'SIGINT');
  assertUnchanged(root, before);
  assert.equal(state(root, 'exp'), 'created');
});

test('Ctrl-C while cp copies a slow stdin into a running container: exit 130, the container running again, not frozen', { timeout: 120_000 }, async () => {
  const root = storeWithBusybox();
  strataOk(root, ['run', '-d', '--name', 'cpin', BUSYBOX, 'sleep', '1000']);
  const cli = startCli(root, ['cp', '-', 'cpin:/tmp']);
  await feedPart(cli, bigArchive, 8 * 1024 * 1024);
  // cp freezes the container while it writes into it.
  await waitFor(() => state(root, 'cpin') === 'paused', cli);
  await interrupt(cli, 'SIGINT');
  await assertInterrupted(cli, 'SIGINT');
  assert.equal(state(root, 'cpin'), 'running');
  assert.equal(strataOk(root, ['exec', 'cpin', 'echo', 'alive']), 'alive\n');
  assert.deepEqual(filesIn(root, 'tmp'), []);
});

test('SIGTERM while cp copies a slow stdin into a stopped container: exit 143, its layers unmounted, and cp works again', { timeout: 120_000 }, async () => {
  const root = storeWithBusybox();
  strataOk(root, ['create', '--name', 'cpstop', BUSYBOX]);
  const before = storeContents(root);
  const cli = startCli(root, ['cp', '-', 'cpstop:/tmp']);
  await feedPart(cli, bigArchive, 8 * 1024 * 1024);
  await waitFor(() => mountsUnder(root).length > 0, cli);
  await interrupt(cli, 'SIGTERM');
  await assertInterrupted(cli, 'SIGTERM');
  assert.deepEqual(mountsUnder(root), []);
  assert.deepEqual(storeContents(root).rows, before.rows);
  const again = strata(root, ['cp', '-', 'cpstop:/tmp'], { input: readFileSync(bigArchive) });
  assert.equal(again.status, 0, again.stderr);
});

test('Ctrl-C while commit reads a running container\'s layer: exit 130, the container not left frozen, no image, and commit works again', { timeout: 180_000 }, async () => {
  const root = storeWithBusybox();
  strataOk(root, ['run', '-d', '--name', 'com', BUSYBOX, 'sh', '-c', 'head -c 134217728 /dev/urandom > /big && touch /done && exec sleep 1000']);
  await waitFor(() => strata(root, ['exec', 'com', 'test', '-e', '/done']).status === 0);
  const before = storeContents(root);
  const mountsBefore = mountsUnder(root);
  // Its root (its network namespace is mounted under the store too).
  assert.equal(mountsBefore.filter((m) => m.includes('/containers/')).length, 1, 'the running container\'s root');
  const overlay = join(root, 'snapshots', 'overlay');
  const known = new Set(readdirSync(overlay));
  const cli = startCli(root, ['commit', 'com', 'signals/committed:1']);
  // The commit's new layer is being written: its snapshot has part of /big.
  const newBig = (): number => {
    for (const dir of readdirSync(overlay)) {
      if (known.has(dir)) continue;
      try {
        return statSync(join(overlay, dir, 'fs', 'big')).size;
      } catch { /* not there yet */ }
    }
    return 0;
  };
  await waitFor(() => newBig() > 0, cli, true);
  process.kill(-cli.pid, 'SIGSTOP');
  assert.ok(newBig() < 134217728, 'stopped in the middle of the layer');
  process.kill(-cli.pid, 'SIGINT');
  process.kill(-cli.pid, 'SIGCONT');
  await assertInterrupted(cli, 'SIGINT');
  assert.equal(state(root, 'com'), 'running', 'the container was thawed');
  assertUnchanged(root, before, mountsBefore);
  assert.match(strataOk(root, ['commit', 'com', 'signals/committed:1']), /^sha256:[0-9a-f]{64}\n$/);
});
