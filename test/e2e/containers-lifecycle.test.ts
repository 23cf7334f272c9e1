// The container lifecycle through the real CLI and runc: run in the foreground and detached,
// ps, logs, exec, top, stop/kill/wait, pause/unpause, restart, rename, rm, prune, inspect,
// docker's exit codes, names, signals reaching a foreground container, a detached container
// outliving the CLI, and bad input that changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, eventually, mountsUnder, STRATA_BIN, storeWithBusybox, strata, strataAsync, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();

test('run in the foreground: env, workdir, user, stdin, exit codes (docker conformance c06)', () => {
  assert.equal(strataOk(root, ['run', '--rm', '-e', 'FOO=bar', '-w', '/tmp2', '-u', '1234:5678', BUSYBOX, 'sh', '-c', 'echo $FOO; pwd; id -u; id -g']), 'bar\n/tmp2\n1234\n5678\n');
  assert.equal(strata(root, ['run', '--rm', BUSYBOX, 'sh', '-c', 'exit 3']).status, 3);
  assert.equal(strataOk(root, ['run', '--rm', '-i', BUSYBOX, 'cat'], { input: 'from-stdin\n' }), 'from-stdin\n');
  assert.equal(strataOk(root, ['run', '--rm', BUSYBOX, 'cat'], { input: 'ignored\n' }), '', 'without -i the process reads nothing');
  assert.equal(strataOk(root, ['run', '--rm', '--hostname', 'boxy', BUSYBOX, 'hostname']), 'boxy\n');
  assert.equal(strataOk(root, ['run', '--rm', BUSYBOX, 'sh', '-c', 'echo $$']), '1\n');
  assert.equal(strataOk(root, ['run', '--rm', '--network', 'none', BUSYBOX, 'ls', '/sys/class/net']), 'lo\n');
  assert.equal(strataOk(root, ['run', '--rm', '-u', 'alice', BUSYBOX, 'id']), 'uid=1000(alice) gid=1000(alice) groups=50(staff),1000(alice)\n');
  assert.equal(strataOk(root, ['run', '--rm', '--entrypoint', 'echo', BUSYBOX, 'a', 'b']), 'a b\n');
  assert.equal(strataOk(root, ['ps', '-aq']), '', '--rm removed every one of them');
});

test('exit codes as docker: 125 engine error, 126 not executable, 127 not found; a failed start stays Created', () => {
  const missing = strata(root, ['run', '--rm', BUSYBOX, '/no/such/binary']);
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /exec: "\/no\/such\/binary": stat \/no\/such\/binary: no such file or directory/);
  assert.equal(strata(root, ['run', '--rm', BUSYBOX, '/etc']).status, 126);
  assert.equal(strata(root, ['run', '--rm', BUSYBOX, '/etc/passwd']).status, 126);
  assert.equal(strata(root, ['run', '--name', 'failed-start', BUSYBOX, 'nope']).status, 127);
  assert.equal(strataOk(root, ['ps', '-a', '--filter', 'name=failed-start', '--format', '{{.Status}}|{{.State}}']), 'Created|created\n');
  assert.equal(strataOk(root, ['inspect', '-f', '{{.State.ExitCode}} {{.State.Running}}', 'failed-start']), '127 false\n');
  assert.match(strataOk(root, ['inspect', '-f', '{{.State.Error}}', 'failed-start']), /executable file not found/);
  strataOk(root, ['rm', 'failed-start']);
});

test('detached: ps, logs, exec, top, pause, stop with the stop signal, wait, rm', async () => {
  const id = strataOk(root, ['run', '-d', '--name', 'sleeper', '-l', 'role=test', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(strataOk(root, ['ps', '--format', '{{.Names}} {{.Image}} {{.Labels}}']), `sleeper ${BUSYBOX} role=test\n`);
  assert.match(strataOk(root, ['ps']), /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n[0-9a-f]{12}\s+ctest\/busybox:1\s+"sh -c 'echo out; ec…"\s+.* ago\s+Up .*\s+sleeper\n$/);
  assert.equal(strataOk(root, ['ps', '-q']), `${id.slice(0, 12)}\n`);
  assert.equal(strataOk(root, ['ps', '-q', '--no-trunc']), `${id}\n`);
  await eventually(() => (strata(root, ['logs', 'sleeper']).stdout === 'out\n' ? true : undefined), 10_000, 'the log');
  const logs = strata(root, ['logs', 'sleeper']);
  assert.equal(logs.stderr, 'err\n', 'stderr lines go to stderr');
  const stamped = strata(root, ['logs', '-t', '--tail', '1', 'sleeper']);
  assert.equal(stamped.stdout, '', 'the last line is on stderr');
  assert.match(stamped.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z err\n$/);
  assert.equal(strataOk(root, ['exec', 'sleeper', 'sh', '-c', 'echo exec-ok; exit 0']), 'exec-ok\n');
  assert.equal(strata(root, ['exec', 'sleeper', 'sh', '-c', 'exit 5']).status, 5);
  const badExec = strata(root, ['exec', 'sleeper', '/nope']);
  assert.equal(badExec.status, 126);
  assert.match(badExec.stderr, /^OCI runtime exec failed: exec failed: .*"\/nope".*no such file or directory: unknown\n$/);
  assert.equal(strataOk(root, ['exec', '-u', 'alice', '-w', '/tmp', '-e', 'X=1', 'sleeper', 'sh', '-c', 'id -u; pwd; echo $X']), '1000\n/tmp\n1\n');
  assert.match(strataOk(root, ['top', 'sleeper']), /^UID +PID +PPID +C +STIME +TTY +TIME +CMD\nroot +\d+ .*sh -c echo out/);

  strataOk(root, ['pause', 'sleeper']);
  assert.match(strataOk(root, ['ps', '--format', '{{.Status}} {{.State}}']), /^Up .* \(Paused\) paused\n$/);
  const again = strata(root, ['pause', 'sleeper']);
  assert.equal(again.status, 1);
  assert.equal(again.stderr, `Error: Container ${id} is already paused\n`);
  assert.match(strata(root, ['exec', 'sleeper', 'true']).stderr, /Container sleeper is paused, unpause the container before exec/);
  strataOk(root, ['unpause', 'sleeper']);
  assert.equal(strata(root, ['unpause', 'sleeper']).stderr, `Error: Container ${id} is not paused\n`);

  const running = strata(root, ['rm', 'sleeper']);
  assert.equal(running.status, 1);
  assert.equal(running.stderr, `Error: You cannot remove a running container ${id}. Stop the container before attempting removal or force remove\n`);

  assert.equal(strataOk(root, ['stop', 'sleeper']), 'sleeper\n');
  // Exit 0 and its goodbye line: SIGTERM was handled (no SIGKILL after the 10 s timeout, which gives 137).
  assert.equal(strataOk(root, ['wait', 'sleeper']), '0\n');
  assert.match(strataOk(root, ['ps', '-a', '--format', '{{.Status}}']), /^Exited \(0\) (Less than a second|\d+ seconds?) ago\n$/);
  assert.equal(strataOk(root, ['logs', '--tail', '1', 'sleeper']), 'bye\n');
  assert.equal(strataOk(root, ['stop', 'sleeper']), 'sleeper\n', 'stopping a stopped container is fine');
  const kill = strata(root, ['kill', 'sleeper']);
  assert.equal(kill.stderr, `Error: Cannot kill container: sleeper: Container ${id} is not running\n`);
  assert.equal(strataOk(root, ['rm', 'sleeper']), 'sleeper\n');
  assert.equal(existsSync(join(root, 'containers', id)), false);
  assert.deepEqual(mountsUnder(root), []);
});

test('stop kills after the timeout; kill -s; restart keeps the container and its log', () => {
  strataOk(root, ['run', '-d', '--name', 'stubborn', BUSYBOX, 'sh', '-c', 'trap "" TERM; trap "exit 138" USR1; echo up; while true; do sleep 0.1; done']);
  const t0 = Date.now();
  strataOk(root, ['stop', '-t', '1', 'stubborn']);
  assert.ok(Date.now() - t0 >= 900, 'waited for the timeout');
  assert.match(strataOk(root, ['ps', '-a', '--filter', 'name=stubborn', '--format', '{{.Status}}']), /^Exited \(137\)/);
  strataOk(root, ['start', 'stubborn']);
  assert.equal(strataOk(root, ['ps', '--filter', 'name=stubborn', '--format', '{{.State}}']), 'running\n');
  strataOk(root, ['kill', '-s', 'USR1', 'stubborn']);
  assert.equal(strataOk(root, ['wait', 'stubborn']), '138\n');
  strataOk(root, ['restart', '-t', '0', 'stubborn']);
  assert.equal(strataOk(root, ['ps', '--filter', 'name=stubborn', '--format', '{{.State}}']), 'running\n');
  strataOk(root, ['kill', 'stubborn']);
  assert.equal(strataOk(root, ['wait', 'stubborn']), '137\n');
  assert.match(strataOk(root, ['logs', 'stubborn']), /^up\nup\nup\n$/);
  strataOk(root, ['rm', 'stubborn']);
});

test('names: generated like docker, --name checked, taken names refused, rename', () => {
  const id = strataOk(root, ['create', BUSYBOX, 'true']).trim();
  const name = strataOk(root, ['inspect', '-f', '{{.Name}}', id]).trim();
  assert.match(name, /^\/[a-z]+_[a-z]+$/);
  const bad = strata(root, ['create', '--name', 'no/slash', BUSYBOX]);
  assert.equal(bad.status, 125);
  assert.equal(bad.stderr, 'Error: Invalid container name (no/slash), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n');
  strataOk(root, ['rename', id, 'first']);
  const taken = strata(root, ['run', '--name', 'first', BUSYBOX, 'true']);
  assert.equal(taken.status, 125);
  assert.equal(taken.stderr, `Error: Conflict. The container name "/first" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`);
  strataOk(root, ['create', '--name', 'second', BUSYBOX]);
  const clash = strata(root, ['rename', 'second', 'first']);
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /Error when allocating new name: Conflict\. The container name "\/first" is already in use/);
  assert.equal(strataOk(root, ['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort().join(','), 'first,second');
  strataOk(root, ['rm', 'first', 'second']);
});

test('inspect shows docker\'s container JSON', () => {
  const id = strataOk(root, ['create', '--name', 'insp', '-e', 'A=1', '-l', 'k=v', '-l', 'b=2', '--stop-signal', 'SIGUSR1', BUSYBOX, 'sleep', '5']).trim();
  const [c] = JSON.parse(strataOk(root, ['container', 'inspect', 'insp'])) as Array<Record<string, unknown>>;
  assert.ok(c !== undefined);
  assert.equal(c['Id'], id);
  assert.equal(c['Name'], '/insp');
  assert.equal(c['Path'], 'sleep');
  assert.deepEqual(c['Args'], ['5']);
  assert.deepEqual(Object.keys(c).slice(0, 8), ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath']);
  const config = c['Config'] as Record<string, unknown>;
  assert.equal(config['Hostname'], id.slice(0, 12));
  assert.deepEqual(config['Env'], ['A=1'], 'the run\'s variables, then the image\'s (this image has none)');
  assert.deepEqual(config['Cmd'], ['sleep', '5']);
  assert.equal(config['Image'], BUSYBOX);
  assert.deepEqual(config['Labels'], { k: 'v', b: '2' });
  assert.equal(config['StopSignal'], 'SIGUSR1');
  // A Go map: its keys come out sorted, in the JSON and through a template.
  assert.equal(strataOk(root, ['inspect', '-f', '{{json .Config.Labels}}', 'insp']), '{"b":"2","k":"v"}\n');
  assert.match(strataOk(root, ['container', 'inspect', 'insp']), /"Labels": \{\n\s+"b": "2",\n\s+"k": "v"\n/);
  assert.equal((c['State'] as Record<string, unknown>)['Status'], 'created');
  assert.equal((c['HostConfig'] as Record<string, unknown>)['NetworkMode'], 'default');
  assert.equal(strataOk(root, ['inspect', '-s', '-f', '{{.SizeRw}} {{.GraphDriver.Name}}', 'insp']), '0 overlay\n');
  const missing = strata(root, ['inspect', 'insp', 'nope']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Error: No such object: nope/);
  strataOk(root, ['rm', 'insp']);
});

test('ps: -a, -n, -l, -s, filters and formats', () => {
  assert.equal(strata(root, ['run', '--name', 'p-exit3', '-l', 'grp=x', BUSYBOX, 'sh', '-c', 'exit 3']).status, 3);
  strataOk(root, ['create', '--name', 'p-created', BUSYBOX]);
  strataOk(root, ['run', '-d', '--name', 'p-running', BUSYBOX, 'sleep', '30']);
  assert.equal(strataOk(root, ['ps', '--format', '{{.Names}}']), 'p-running\n');
  assert.equal(strataOk(root, ['ps', '-a', '--format', '{{.Names}}']), 'p-running\np-created\np-exit3\n', 'newest first');
  assert.equal(strataOk(root, ['ps', '-n', '2', '--format', '{{.Names}}']), 'p-running\np-created\n');
  assert.equal(strataOk(root, ['ps', '-l', '--format', '{{.Names}}']), 'p-running\n');
  assert.equal(strataOk(root, ['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}']).replace(/\) .*/, ')'), 'p-exit3 Exited (3)\n'.replace(/\) .*/, ')'));
  assert.equal(strataOk(root, ['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}}']), 'p-exit3\n');
  assert.equal(strataOk(root, ['ps', '-a', '--filter', 'label=grp=x', '--format', '{{.Names}}']), 'p-exit3\n');
  assert.equal(strataOk(root, ['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}']), 'p-created\n');
  assert.equal(strataOk(root, ['ps', '-a', '--filter', 'name=p-c', '--format', '{{.Names}}']), 'p-created\n');
  assert.equal(strataOk(root, ['ps', '-a', '--filter', `ancestor=${BUSYBOX}`, '-q']).split('\n').filter(Boolean).length, 3);
  assert.match(strataOk(root, ['ps', '-s', '--format', '{{.Size}}']), /^0B \(virtual 1\.\d+MB\)\n$/);
  assert.match(strataOk(root, ['ps', '-s']), /NAMES\s+SIZE\n/);
  const json = JSON.parse(strataOk(root, ['ps', '--format', 'json'])) as Record<string, string>;
  assert.equal(json['Names'], 'p-running');
  assert.equal(json['State'], 'running');
  const bad = strata(root, ['ps', '--filter', 'bogus=1']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "Error: Invalid filter 'bogus'\n");
  assert.equal(strata(root, ['ps', '--filter', 'status=nope']).stderr, "Error: Invalid filter 'status=nope'\n");
  strataOk(root, ['rm', '-f', 'p-running']);
  const pruned = strataOk(root, ['container', 'prune', '-f']);
  assert.match(pruned, /^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
  assert.equal(strataOk(root, ['ps', '-aq']), '');
});

test('signals sent to a foreground run reach the container; its exit status is the CLI\'s', async () => {
  const cli = strataAsync(root, ['run', '--rm', BUSYBOX, 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done']);
  // "ready" comes after the trap is set: from then on SIGTERM is the container's to handle.
  await eventually(() => (cli.stdout() === 'ready\n' ? true : undefined), 10_000, 'the container to be ready');
  cli.kill('SIGTERM');
  const result = await cli.done;
  assert.equal(result.status, 7);
  assert.equal(result.stdout, 'ready\ngot TERM\n');
  await eventually(() => (strataOk(root, ['ps', '-aq']) === '' ? true : undefined), 10_000, '--rm to remove it');
});

test('a detached container outlives the CLI: its log is kept and its exit code recorded', async () => {
  const id = strataOk(root, ['run', '-d', BUSYBOX, 'sh', '-c', 'trap "echo finished; exit 9" USR1; echo ready; while true; do sleep 0.1; done']).trim();
  // The CLI has exited; the supervisor keeps the container (it runs until it is told to end).
  assert.equal(strataOk(root, ['ps', '-q', '--no-trunc']), `${id}\n`);
  await eventually(() => (strataOk(root, ['logs', id]) === 'ready\n' ? true : undefined), 10_000, 'the container to be ready');
  strataOk(root, ['kill', '-s', 'USR1', id]);
  assert.equal(strataOk(root, ['wait', id]), '9\n');
  assert.equal(strataOk(root, ['logs', id]), 'ready\nfinished\n');
  assert.match(strataOk(root, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.FinishedAt}}', id]), /^exited 9 \d{4}-/);
  await eventually(() => (mountsUnder(join(root, 'containers', id)).length === 0 ? true : undefined), 5000, 'the exit hook to unmount its layers');
  strataOk(root, ['rm', id]);
});

test('run -d --rm: removed by its supervisor after the exit', async () => {
  const id = strataOk(root, ['run', '-d', '--rm', BUSYBOX, 'sh', '-c', 'sleep 0.5']).trim();
  await eventually(() => (strataOk(root, ['ps', '-aq', '--no-trunc']).includes(id) ? undefined : true), 15_000, 'the container to be removed');
  assert.equal(existsSync(join(root, 'containers', id)), false);
});

test('logs -f follows until the container exits', async () => {
  strataOk(root, ['run', '-d', '--name', 'chatty', BUSYBOX, 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done']);
  const follow = strata(root, ['logs', '-f', 'chatty']);
  assert.equal(follow.stdout, 'line1\nline2\nline3\n');
  strataOk(root, ['rm', 'chatty']);
});

test('--ulimit: the last value of each resource, in the order of their names, as docker keeps them', () => {
  const id = strataOk(root, ['create', '--ulimit', 'nproc=10', '--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=20', BUSYBOX]).trim();
  try {
    assert.equal(strataOk(root, ['inspect', '-f', '{{json .HostConfig.Ulimits}}', id]), '[{"Name":"nofile","Hard":2048,"Soft":1024},{"Name":"nproc","Hard":20,"Soft":20}]\n');
  } finally {
    strataOk(root, ['rm', id]);
  }
});

test('bad input: a clear error, exit 125 for run, and nothing changes', () => {
  const before = readdirSync(join(root, 'containers')).sort();
  const cases: Array<[string[], RegExp, number]> = [
    [['run', '--rm', 'no-such/image:1'], /Unable to find image 'no-such\/image:1' locally/, 125],
    [['run', '--bogus', BUSYBOX], /^unknown flag: --bogus\n\nUsage: {2}strata run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]/, 125],
    [['run', '-v', 'rel/path:/x', BUSYBOX, 'true'], /create rel\/path: "rel\/path" includes invalid characters for a local volume name/, 125],
    [['run', '-v', '/no/such/strata-dir:/x', BUSYBOX, 'true'], /bind source path does not exist: \/no\/such\/strata-dir/, 125],
    [['run', '--mount', 'type=bind,src=/no/such/strata-dir,dst=/x', BUSYBOX, 'true'], /bind source path does not exist: \/no\/such\/strata-dir/, 125],
    [['run', '-w', 'relative', BUSYBOX, 'true'], /the working directory 'relative' is invalid, it needs to be an absolute path/, 125],
    [['run', '--memory', '1k', BUSYBOX, 'true'], /Minimum memory limit allowed is 6MB/, 125],
    [['run', '--stop-signal', 'NOPE', BUSYBOX, 'true'], /Invalid signal: NOPE/, 125],
    [['run', '-v', '/tmp:/x', '-v', '/tmp:/x', BUSYBOX, 'true'], /Duplicate mount point: \/x/, 125],
    [['run', '--network', 'mynet', BUSYBOX, 'true'], /network mynet not found/, 125],
    [['run', '-p', '80/sctp', BUSYBOX, 'true'], /invalid -p 80\/sctp: invalid proto "sctp"/, 125],
    [['run', '--ulimit', 'bogus=1', BUSYBOX, 'true'], /^Error: invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus\n/, 125],
    [['create', '--ulimit', 'nofile=10:5', BUSYBOX], /^Error: invalid argument "nofile=10:5" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 10 > 5\n/, 125],
    [['run', '--ulimit', 'nofile=abc', BUSYBOX, 'true'], /^Error: invalid argument "nofile=abc" for "--ulimit" flag: strconv\.ParseInt: parsing "abc": invalid syntax\n/, 125],
    [['rm', 'nope'], /^Error: No such container: nope\n$/, 1],
    [['stop', 'nope'], /^Error: No such container: nope\n$/, 1],
    [['exec', 'nope', 'true'], /^Error: No such container: nope\n$/, 1],
    [['start', 'nope'], /^Error: No such container: nope\nError: failed to start containers: nope\n$/, 1],
  ];
  for (const [args, message, status] of cases) {
    const r = strata(root, args);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.equal(existsSync('/no/such/strata-dir'), false, 'a missing -v source is not created');
  assert.deepEqual(readdirSync(join(root, 'containers')).sort(), before);
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), '');
});

test('--env-file, --read-only, --tmpfs, --init, --privileged and a cidfile', () => {
  const dir = tempDir();
  const envFile = join(dir, 'env');
  writeFileSync(envFile, '# comment\nA=from-file\nB=2\n');
  assert.equal(strataOk(root, ['run', '--rm', '--env-file', envFile, '-e', 'B=3', BUSYBOX, 'sh', '-c', 'echo $A $B']), 'from-file 3\n');
  assert.match(strata(root, ['run', '--rm', '--read-only', BUSYBOX, 'touch', '/x']).stderr, /Read-only file system/);
  assert.equal(strataOk(root, ['run', '--rm', '--read-only', '--tmpfs', '/scratch', BUSYBOX, 'sh', '-c', 'echo ok > /scratch/f && cat /scratch/f']), 'ok\n');
  // PID 1 is the init (Debian's tini-static, which scripts/setup.sh installs), not the command.
  assert.equal(strataOk(root, ['run', '--rm', '--init', BUSYBOX, 'sh', '-c', 'cat /proc/1/comm']), 'docker-init\n');
  assert.equal(strataOk(root, ['run', '--rm', BUSYBOX, 'sh', '-c', 'cat /proc/1/comm']), 'cat\n');
  const caps = (extra: string[]): string => strataOk(root, ['run', '--rm', ...extra, BUSYBOX, 'sh', '-c', 'grep CapEff /proc/self/status']);
  assert.notEqual(caps(['--privileged']), caps([]), '--privileged gives more capabilities');
  const cid = join(dir, 'cid');
  strataOk(root, ['run', '--rm', '--cidfile', cid, BUSYBOX, 'true']);
  assert.match(readFileSync(cid, 'utf8'), /^[0-9a-f]{64}$/);
});

test('a foreground run works under `node --cpu-prof` (the profiler\'s SIGPROF is not forwarded to the container)', () => {
  const dir = tempDir('strata-cpu-prof-');
  const profiled = (args: string[]): string => {
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, STRATA_BIN, '--root', root, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.equal(profiled(['run', '--rm', BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo done']), 'done\n');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).length, 1);
});
