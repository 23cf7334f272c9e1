// Detached containers under their supervisor: logs in docker's json-file format (tail,
// since, follow), the exit recorded after the launching process is gone, kill -9 of the
// launcher or of the supervisor leaving a state that reconcile reports truthfully, signals
// of a foreground run reaching the container, exec, pause, and nothing leaked afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerFiles, readContainerState, reconcile, stopContainer, supervisorAlive, waitForExit } from '../../../src/runtime/container-state.ts';
import { execProcess, readBundleSpec } from '../../../src/runtime/exec.ts';
import { formatLogEntry, readLogs, type LogEntry } from '../../../src/runtime/logs.ts';
import { ContainerStartError } from '../../../src/runtime/runtime-errors.ts';
import { execInContainer } from '../../../src/runtime/supervisor.ts';
import { eventually, makeFixture, mountsUnder, type Fixture } from './fixture.ts';
import type { RunOptions } from '../../../src/runtime/run-options.ts';

let f: Fixture;
before(() => { f = makeFixture(); });
after(async () => { await f.cleanup(); });

const LAUNCH = join(import.meta.dirname, 'launch.ts');

/** Runs launch.ts in its own node process, as `strata run` would run. */
function launch(options: Omit<RunOptions, 'id'>, extra: { detach?: boolean; stdin?: boolean; exitHook?: string[] } = {}) {
  const id = f.newId();
  const containerDir = f.containerDir(id);
  const args = JSON.stringify({ id, rootfs: f.rootfs, containerDir, runtimeRoot: f.runtime.root, shim: f.shim, options, ...extra });
  const child = spawn(process.execPath, ['--import', 'tsx', LAUNCH, args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : 0))));
  const started = (): Promise<true> => eventually(() => (stderr.includes('started ') || child.exitCode !== null ? true : undefined), 20_000, 'launch');
  return { id, containerDir, child, exited, started, stderr: () => stderr };
}

async function collect(path: string, options: Parameters<typeof readLogs>[1] = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(path, options)) out.push(e);
  return out;
}

const stateOf = (dir: string) => readContainerState(join(dir, 'state.json'));
const exitedState = (dir: string) => eventually(() => { const s = stateOf(dir); return s?.status === 'exited' ? s : undefined; }, 15_000, 'exit recorded');

test('run -d returns at once; the supervisor keeps the logs and records the exit after the launcher is gone', async () => {
  // It runs until told to end (SIGUSR1), so it is still running when checked, whatever the load.
  const l = launch({ command: ['sh', '-c', 'trap "printf \\"no newline\\"; exit 4" USR1; echo one; echo err >&2; while true; do sleep 0.1; done'] }, { detach: true });
  assert.equal(await l.exited, 0, l.stderr());
  const running = stateOf(l.containerDir);
  assert.equal(running?.status, 'running');
  assert.ok(running && supervisorAlive(running), 'the supervisor outlives the launcher');
  const log = containerFiles(l.containerDir, l.id).log;
  await eventually(() => (readFileSync(log, 'utf8').includes('err') ? true : undefined), 10_000, 'the trap to be set');
  await f.runtime.kill(l.id, 'USR1');
  const state = await exitedState(l.containerDir);
  assert.equal(state.exitCode, 4);
  assert.equal(state.oomKilled, false);
  assert.ok(Date.parse(state.finishedAt) >= Date.parse(state.startedAt));
  const logs = await collect(containerFiles(l.containerDir, l.id).log);
  assert.deepEqual(logs.map((e) => [e.stream, e.log]), [['stdout', 'one\n'], ['stderr', 'err\n'], ['stdout', 'no newline']]);
  const raw = readFileSync(containerFiles(l.containerDir, l.id).log, 'utf8').split('\n')[0] as string;
  assert.match(raw, /^\{"log":"one\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"\}$/);
  // The supervisor records the exit, then runs `runc delete`: give that a moment under load.
  let runtimeState = await f.runtime.state(l.id);
  for (let waited = 0; runtimeState !== undefined && waited < 5000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    runtimeState = await f.runtime.state(l.id);
  }
  assert.equal(runtimeState, undefined, 'the runtime state is deleted once the exit is recorded');
});

test('logs: --tail, --since/--until, -t and -f until the container exits', async () => {
  const c = await f.start({ command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; sleep 1; echo late; sleep 0.5; echo last'] }, { detach: true });
  const log = containerFiles(c.containerDir, c.id).log;
  await eventually(() => (readFileSync(log, 'utf8').split('\n').length > 5 ? true : undefined));
  assert.deepEqual((await collect(log, { tail: 2 })).map((e) => e.log), ['line4\n', 'line5\n']);
  assert.deepEqual((await collect(log, { tail: 0 })).map((e) => e.log), []);
  const all = await collect(log);
  const third = all[2] as LogEntry;
  assert.deepEqual((await collect(log, { since: third.timeNs })).map((e) => e.log)[0], 'line3\n');
  assert.deepEqual((await collect(log, { until: third.timeNs })).map((e) => e.log), ['line1\n', 'line2\n']);
  assert.match(formatLogEntry(third, { timestamps: true }), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line3\n$/);
  // -f: everything, including what is written while following, then the end when the container stops
  const followed = await collect(log, { follow: true, tail: 1, done: () => stateOf(c.containerDir)?.status === 'exited', pollInterval: 50 });
  assert.deepEqual(followed.map((e) => e.log), ['line5\n', 'late\n', 'last\n']);
  assert.equal(stateOf(c.containerDir)?.exitCode, 0);
});

test('a line longer than 16 KiB is logged in parts, as docker\'s json-file does', async () => {
  const r = await f.run({ command: ['sh', '-c', 'head -c 40000 /dev/zero | tr "\\0" a; echo'] });
  const entries = await collect(containerFiles(r.containerDir, r.id).log);
  assert.deepEqual(entries.map((e) => e.log.length), [16384, 16384, 7233]);
  assert.equal(entries.map((e) => e.log).join(''), 'a'.repeat(40000) + '\n');
  assert.equal(r.stdout.length, 40001, 'the foreground copy is untouched');
});

test('kill -9 of the launcher during run -d: the container runs under its supervisor, or not at all', async () => {
  for (const delayMs of [0, 150, 400]) {
    const l = launch({ command: ['sleep', '30'] }, { detach: true });
    await new Promise((r) => setTimeout(r, delayMs));
    l.child.kill('SIGKILL');
    await l.exited;
    // Whatever the moment, the truth settles: created (never started) or running under a live supervisor.
    const truth = await eventually(async () => {
      const t = await reconcile(l.containerDir, l.id, f.runtime);
      return t.status === 'starting' ? undefined : t;
    }, 15_000, 'start settled');
    if (truth.status === 'running') {
      assert.equal(truth.supervised, true, `delay ${delayMs}`);
      assert.equal((await f.runtime.state(l.id))?.status, 'running');
      await f.runtime.kill(l.id, 'KILL');
      const s = await exitedState(l.containerDir);
      assert.equal(s.exitCode, 137, 'killed containers exit 137, as docker\'s');
    } else {
      assert.equal(truth.status, 'created', `delay ${delayMs}`);
      assert.equal(await f.runtime.state(l.id), undefined);
    }
  }
});

test('kill -9 of the supervisor: reconcile reports the container running unsupervised, then exited 255', async () => {
  const c = await f.start({ command: ['sleep', '30'] }, { detach: true });
  process.kill(c.shimPid, 'SIGKILL');
  await eventually(() => (existsSync(`/proc/${c.shimPid}`) && !readFileSync(`/proc/${c.shimPid}/stat`, 'utf8').includes(') Z') ? undefined : true));
  const running = await reconcile(c.containerDir, c.id, f.runtime);
  assert.equal(running.status, 'running');
  assert.equal(running.supervised, false);
  assert.equal(running.pid, c.pid);
  await f.runtime.kill(c.id, 'KILL');
  const gone = await eventually(async () => { const t = await reconcile(c.containerDir, c.id, f.runtime); return t.status === 'exited' ? t : undefined; });
  assert.equal(gone.exitCode, 255);
  assert.match(gone.error, /exit status is unknown/);
  assert.equal(await f.runtime.state(c.id), undefined, 'reconcile deleted the leftover runtime state');
  assert.equal(stateOf(c.containerDir)?.status, 'exited', 'and recorded the truth');
});

test('signals sent to a foreground run reach the container (--sig-proxy)', async () => {
  const l = launch({ command: ['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.1; done'] });
  await l.started();
  await eventually(() => (existsSync(containerFiles(l.containerDir, l.id).log) && readFileSync(containerFiles(l.containerDir, l.id).log, 'utf8').includes('ready') ? true : undefined));
  l.child.kill('SIGTERM');
  assert.equal(await l.exited, 7);
  const logs = await collect(containerFiles(l.containerDir, l.id).log);
  assert.deepEqual(logs.map((e) => e.log), ['ready\n', 'got-term\n']);
});

test('-it from a real terminal (util-linux script gives the launcher a pty)', async () => {
  const id = f.newId();
  const containerDir = f.containerDir(id);
  const args = JSON.stringify({ id, rootfs: f.rootfs, containerDir, runtimeRoot: f.runtime.root, shim: f.shim, options: { tty: true, command: ['sh'] }, stdin: true });
  const quoted = `'${process.execPath}' --import tsx '${LAUNCH}' '${args}'`;
  const child = spawn('script', ['-qec', quoted, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], cwd: join(import.meta.dirname, '../../..') });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  await eventually(() => (out.includes('started ') ? true : undefined), 20_000, 'container started');
  child.stdin.write('echo "in:$(tty)"\r');
  await eventually(() => (out.includes('in:/dev/pts/0') ? true : undefined), 10_000, 'command output');
  child.stdin.write('exit 5\r');
  assert.equal(await code, 5);
  assert.ok(!out.includes('\r\r\n'), 'the caller\'s terminal is raw: no second carriage return');
});

test('foreground exit codes through the launcher: 3, 127', async () => {
  const three = launch({ command: ['sh', '-c', 'exit 3'] });
  assert.equal(await three.exited, 3);
  const missing = launch({ command: ['/no/such/binary'] });
  assert.equal(await missing.exited, 127);
  assert.match(missing.stderr(), /no such file or directory: unknown/);
});

test('exec: output, exit code, env and user; docker\'s 126 when it can\'t start', async () => {
  const c = await f.start({ command: ['sleep', '30'], env: ['BASE=1'] }, { detach: true });
  try {
    const spec = readBundleSpec(c.containerDir);
    const run = async (cmd: string[], o: Partial<Parameters<typeof execProcess>[2]> = {}) => {
      const h = await execInContainer({
        runtime: f.runtime, id: c.id, containerDir: c.containerDir, shim: f.shim,
        process: execProcess(spec, f.rootfs, { cmd, ...o }), stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      h.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
      const closed = new Promise((r) => h.stdout?.once('close', r));
      const { exitCode } = await h.wait();
      await closed;
      return { code: exitCode, out };
    };
    assert.deepEqual(await run(['sh', '-c', 'echo exec-ok']), { code: 0, out: 'exec-ok\n' });
    assert.equal((await run(['sh', '-c', 'exit 5'])).code, 5);
    const who = await run(['sh', '-c', 'id -u; echo $BASE $X; pwd'], { user: 'alice', env: ['X=2'], workdir: '/tmp' });
    assert.equal(who.out, '1000\n1 2\n/tmp\n');
    const tty = await run(['tty'], { tty: true });
    assert.match(tty.out, /^\/dev\/pts\/\d+\r?\n$/);
    await assert.rejects(run(['nope']), (err) => err instanceof ContainerStartError && err.exitStatus === 126
      && err.message === 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown');
    assert.throws(() => execProcess(spec, f.rootfs, { cmd: ['true'], user: 'nope' }), /unable to find user nope: no matching entries in passwd file/);
  } finally {
    await f.runtime.kill(c.id, 'KILL');
  }
  await exitedState(c.containerDir);
});

test('pause/resume with the freezer, ps/top, kill by name and number', async () => {
  const c = await f.start({ command: ['sh', '-c', 'trap "exit 9" USR1; while true; do sleep 0.1; done'] }, { detach: true });
  await f.runtime.pause(c.id);
  const paused = await reconcile(c.containerDir, c.id, f.runtime);
  assert.equal(paused.paused, true);
  assert.equal(paused.status, 'running');
  await f.runtime.resume(c.id);
  assert.equal((await reconcile(c.containerDir, c.id, f.runtime)).paused, false);
  const top = await f.runtime.top(c.id);
  assert.ok(top.titles.includes('PID') && top.titles.includes('CMD'));
  assert.ok(top.processes.some((row) => (row.at(-1) ?? '').startsWith('sh -c trap')));
  await f.runtime.kill(c.id, 'usr1');
  assert.equal((await exitedState(c.containerDir)).exitCode, 9);
  // Between the recorded exit and the supervisor's `runc delete`, runc says "not running".
  await assert.rejects(f.runtime.kill(c.id, 'KILL'), (e) => ['not-found', 'failed-precondition'].includes((e as { code?: string }).code ?? ''));
  await eventually(async () => ((await f.runtime.state(c.id)) === undefined ? true : undefined), 5000, 'runc delete');
  await assert.rejects(f.runtime.kill(c.id, 'KILL'), (e) => (e as { code?: string }).code === 'not-found');
  await assert.rejects(f.runtime.kill(c.id, 'NOPE'), /Invalid signal: NOPE/);
});

test('run -d with an exit hook (what --rm uses): the hook runs after the exit is recorded', async () => {
  const marker = join(f.dir, 'hook-ran');
  const script = join(f.dir, 'hook.sh');
  writeFileSync(script, `#!/bin/sh\ncat "$1" > "${marker}"\n`, { mode: 0o755 });
  const id = f.newId();
  const b = f.bundle(id, { command: ['sh', '-c', 'exit 2'] });
  const { startContainer } = await import('../../../src/runtime/supervisor.ts');
  await startContainer({ runtime: f.runtime, id, bundleDir: b.containerDir, containerDir: b.containerDir, shim: f.shim, detach: true, exitHook: [script, join(b.containerDir, 'state.json')] });
  const seen = await eventually(() => (existsSync(marker) && readFileSync(marker, 'utf8') !== '' ? readFileSync(marker, 'utf8') : undefined));
  assert.equal(JSON.parse(seen).exitCode, 2);
});

test('stop: the stop signal, then SIGKILL after the timeout (conformance c06: stop -t 1 of sleep gives 137)', async () => {
  const sleeper = await f.start({ command: ['sleep', '30'] }, { detach: true });
  const t0 = Date.now();
  const killed = await stopContainer(sleeper.containerDir, sleeper.id, f.runtime, { timeoutSec: 1 });
  assert.equal(killed?.exitCode, 137, 'PID 1 ignores SIGTERM without a handler, so SIGKILL it is');
  assert.ok(Date.now() - t0 >= 1000);
  const polite = await f.start({ command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'] }, { detach: true });
  assert.equal((await stopContainer(polite.containerDir, polite.id, f.runtime, { timeoutSec: 10 }))?.exitCode, 0);
  const custom = await f.start({ command: ['sh', '-c', 'trap "exit 3" USR2; while true; do sleep 0.1; done'] }, { detach: true });
  assert.equal((await stopContainer(custom.containerDir, custom.id, f.runtime, { signal: 'SIGUSR2' }))?.exitCode, 3);
  // stopping a stopped container changes nothing
  assert.equal((await stopContainer(custom.containerDir, custom.id, f.runtime))?.exitCode, 3);
  assert.equal((await waitForExit(custom.containerDir, custom.id, f.runtime))?.exitCode, 3);
});

test('nothing leaked: no runtime state, no mounts, no supervisors', async () => {
  await eventually(async () => ((await f.runtime.list()).length === 0 ? true : undefined), 10_000, 'runtime state cleaned up');
  assert.deepEqual(mountsUnder(f.dir), []);
});
