// Pieces of process control that need no container: runc's error text mapped to docker's
// messages and exit statuses, signal names, log times, the json-file reader on hand-written
// logs, the state file and its reading of /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { containerStartError, execStartError, startFailureStatus } from '../../../src/runtime/runtime-errors.ts';
import { containerStopSignal, parseSignal } from '../../../src/runtime/signals.ts';
import { formatLogEntry, formatRfc3339NanoFixed, parseLogTime, parseRfc3339Nano, readLogs, type LogEntry } from '../../../src/runtime/logs.ts';
import { processStartTime, readContainerState, supervisorAlive } from '../../../src/runtime/container-state.ts';
import { OciRuntime, runCommand, runtimeErrorMessage } from '../../../src/runtime/runc.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { eventually } from '../../helpers/eventually.ts';

test('runc errors become docker\'s messages and exit statuses', () => {
  const notFound = containerStartError('runc create failed: unable to start container process: exec: "/no/such/binary": stat /no/such/binary: no such file or directory');
  assert.equal(notFound.message, 'failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/no/such/binary": stat /no/such/binary: no such file or directory: unknown');
  assert.equal(notFound.exitStatus, 127);
  assert.equal(notFound.code, 'not-found');
  assert.equal(containerStartError('runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH').exitStatus, 127);
  const denied = containerStartError('runc create failed: unable to start container process: exec: "/etc": permission denied');
  assert.equal(denied.exitStatus, 126);
  assert.equal(denied.code, 'permission-denied');
  const mountType = containerStartError('runc create failed: unable to start container process: error mounting "/a" to rootfs at "/etc/hosts": not a directory');
  assert.equal(mountType.exitStatus, 127);
  assert.match(mountType.message, /not a directory: Are you trying to mount a directory onto a file \(or vice-versa\)\?/);
  assert.equal(containerStartError('runc create failed: cgroup: something odd').exitStatus, 125);
  assert.deepEqual(startFailureStatus('whatever'), { recorded: 128, cli: 125 });
  const exec = execStartError('exec failed: unable to start container process: exec: "nope": executable file not found in $PATH');
  assert.equal(exec.message, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown');
  assert.equal(exec.exitStatus, 126, 'docker exec exits 126 for every exec that does not start');
  assert.equal(runtimeErrorMessage('{"level":"warning","msg":"w","time":"t"}\n{"level":"error","msg":"container does not exist","time":"t"}\n'), 'container does not exist');
  assert.equal(runtimeErrorMessage('plain text\n'), 'plain text');
});

test('signals: docker\'s names and numbers', () => {
  assert.deepEqual(parseSignal('KILL'), { name: 'SIGKILL', number: 9 });
  assert.deepEqual(parseSignal('sigterm'), { name: 'SIGTERM', number: 15 });
  assert.deepEqual(parseSignal('9'), { name: 'SIGKILL', number: 9 });
  assert.deepEqual(parseSignal('usr1'), { name: 'SIGUSR1', number: 10 });
  assert.deepEqual(parseSignal('RTMIN+3'), { name: 'SIGRTMIN+3', number: 37 });
  assert.equal(containerStopSignal({ StopSignal: 'SIGQUIT' }, {}).name, 'SIGQUIT');
  assert.equal(containerStopSignal({ StopSignal: 'SIGQUIT' }, { stopSignal: '9' }).name, 'SIGKILL');
  assert.equal(containerStopSignal(undefined, {}).name, 'SIGTERM');
  for (const bad of ['NOPE', '0', '65', 'RTMAX+1', '']) assert.throws(() => parseSignal(bad), (e) => isStrataError(e, 'invalid-argument') && /Invalid signal/.test(e.message), bad);
});

test('log times: RFC 3339 with nanoseconds, docker\'s --since forms', () => {
  assert.equal(parseRfc3339Nano('2024-05-01T12:34:56.123456789Z'), 1714566896123456789n);
  assert.equal(parseRfc3339Nano('2024-05-01T12:34:56Z'), 1714566896000000000n);
  assert.equal(parseRfc3339Nano('2024-05-01T14:34:56.5+02:00'), 1714566896500000000n);
  assert.equal(formatRfc3339NanoFixed(1714566896120000000n), '2024-05-01T12:34:56.120000000Z');
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(parseLogTime('1714566896', now), 1714566896000000000n);
  assert.equal(parseLogTime('1714566896.25', now), 1714566896250000000n);
  assert.equal(parseLogTime('10m', now), BigInt(now - 600_000) * 1_000_000n);
  assert.equal(parseLogTime('1h30m', now), BigInt(now - 5_400_000) * 1_000_000n);
  assert.equal(parseLogTime('2024-05-01T12:34:56Z', now), 1714566896000000000n);
  assert.equal(parseLogTime('2024-05-01T12:34:56.000000001Z', now), 1714566896000000001n);
  assert.throws(() => parseLogTime('yesterday', now), /failed to parse value as time or duration: "yesterday"/);
});

test('readLogs on a hand-written json-file log: torn lines skipped, tail, follow ends on done()', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-logs-'));
  try {
    const log = join(dir, 'c-json.log');
    const line = (text: string, stream: string, time: string): string => JSON.stringify({ log: text, stream, time }) + '\n';
    writeFileSync(log, line('a\n', 'stdout', '2024-05-01T00:00:01Z') + line('b\n', 'stderr', '2024-05-01T00:00:02.5Z') + 'garbage\n' + line('c\n', 'stdout', '2024-05-01T00:00:03Z'));
    const all: LogEntry[] = [];
    for await (const e of readLogs(log)) all.push(e);
    assert.deepEqual(all.map((e) => `${e.stream}:${e.log}`), ['stdout:a\n', 'stderr:b\n', 'stdout:c\n']);
    assert.equal(formatLogEntry(all[1] as LogEntry, { timestamps: true }), '2024-05-01T00:00:02.500000000Z b\n');
    const tail: string[] = [];
    for await (const e of readLogs(log, { tail: 1 })) tail.push(e.log);
    assert.deepEqual(tail, ['c\n']);
    let finished = false;
    const followed: string[] = [];
    // The generator takes the log's size as its first next() runs, which starts it: 'd' comes after.
    const reader = (async () => { for await (const e of readLogs(log, { follow: true, tail: 0, done: () => finished, pollInterval: 20 })) followed.push(e.log); })();
    appendFileSync(log, line('d\n', 'stdout', '2024-05-01T00:00:04Z'));
    await eventually(() => (followed.length > 0 ? true : undefined), 10_000, 'the follower to read what was appended');
    appendFileSync(log, line('e\n', 'stdout', '2024-05-01T00:00:05Z'));
    finished = true;
    await reader;
    assert.deepEqual(followed, ['d\n', 'e\n']);
    await assert.rejects(async () => { for await (const _ of readLogs(join(dir, 'missing.log'))) { /* none */ } }, (e) => isStrataError(e, 'not-found'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readLogs following an idle log leaves no listener behind on its signal per poll (a long logs -f in the API service)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-logs-'));
  try {
    const log = join(dir, 'c-json.log');
    writeFileSync(log, '');
    const controller = new AbortController();
    let polls = 0;
    for await (const _ of readLogs(log, { follow: true, done: () => ++polls > 50, signal: controller.signal, pollInterval: 1 })) { /* none */ }
    assert.ok(polls > 50);
    assert.ok(getEventListeners(controller.signal, 'abort').length <= 1, `${getEventListeners(controller.signal, 'abort').length} abort listeners after ${polls} polls`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('state file: corrupt is data-loss, missing is undefined; supervisor liveness by pid and start time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-state-'));
  try {
    assert.equal(readContainerState(join(dir, 'state.json')), undefined);
    writeFileSync(join(dir, 'state.json'), '{"status":');
    assert.throws(() => readContainerState(join(dir, 'state.json')), (e) => isStrataError(e, 'data-loss'));
    const me = processStartTime(process.pid);
    assert.ok(me !== undefined && me > 0);
    assert.equal(supervisorAlive({ shimPid: process.pid, shimStartTime: me }), true);
    assert.equal(supervisorAlive({ shimPid: process.pid, shimStartTime: me + 1 }), false, 'a reused pid is not our supervisor');
    assert.equal(supervisorAlive({ shimPid: 0, shimStartTime: 0 }), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown --runtime is unavailable, with a hint', () => {
  assert.throws(() => OciRuntime.locate({ root: join(tmpdir(), 'strata-never'), runtime: 'no-such-runtime' }),
    (e) => isStrataError(e, 'unavailable') && /OCI runtime "no-such-runtime" not found in PATH/.test(e.message));
});

test('a runtime command that exits before reading its input is a status, not a crash (EPIPE)', async () => {
  // 4 MiB cannot fit the pipe: the write fails once the program has exited.
  for (let i = 0; i < 5; i++) {
    const r = await runCommand('sh', ['-c', 'exit 3'], { input: 'x'.repeat(4 << 20) });
    assert.equal(r.code, 3);
  }
  // Without input there is no pipe at all: the program reads end-of-file.
  const none = await runCommand('sh', ['-c', 'cat; echo done'], {});
  assert.equal(none.stdout, 'done\n');
});
