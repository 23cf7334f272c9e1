// Real containers with runc on a hand-made busybox rootfs: what the process sees (args, env,
// user, cwd, hostname, network, caps, read-only root, cgroup limits), exit codes as docker's,
// stdin and a real pty.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupFile } from '../../../src/runtime/supervisor.ts';
import { probeHost } from '../../../src/runtime/host-info.ts';
import { ContainerStartError } from '../../../src/runtime/runtime-errors.ts';
import { readContainerState } from '../../../src/runtime/container-state.ts';
import { eventually, makeFixture, type Fixture } from './fixture.ts';

let f: Fixture;
before(() => { f = makeFixture(); });
after(async () => { await f.cleanup(); });

test('args, env, user, working directory and hostname (docker conformance c06 first line)', async () => {
  const r = await f.run({ command: ['sh', '-c', 'echo $FOO; pwd; id -u; id -g; hostname; echo $HOSTNAME'], env: ['FOO=bar'], workdir: '/tmp2', user: '1234:5678', hostname: 'boxy' });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, 'bar\n/tmp2\n1234\n5678\nboxy\nboxy\n');
  const named = await f.run({ command: ['sh', '-c', 'id; echo $HOME; env | sort'], user: 'alice', env: ['A=1'] });
  assert.equal(named.stdout.split('\n')[0], 'uid=1000(alice) gid=1000(alice) groups=10(wheel),50(staff),1000(alice)');
  assert.equal(named.stdout.split('\n')[1], '/home/alice');
  assert.match(named.stdout, /^A=1$/m);
  assert.match(named.stdout, new RegExp(`^HOSTNAME=${named.id.slice(0, 12)}$`, 'm'));
  assert.match(named.stdout, /^PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
});

test('exit codes: the process\'s own, 126 not executable, 127 not found', async () => {
  assert.equal((await f.run({ command: ['true'] })).exitCode, 0);
  assert.equal((await f.run({ command: ['sh', '-c', 'exit 3'] })).exitCode, 3);
  const cases: Array<[string, number, RegExp]> = [
    ['/no/such/binary', 127, /OCI runtime create failed: runc create failed: unable to start container process: exec: "\/no\/such\/binary": stat \/no\/such\/binary: no such file or directory: unknown$/],
    ['nope', 127, /exec: "nope": executable file not found in \$PATH: unknown$/],
    ['/etc/passwd', 126, /exec: "\/etc\/passwd": permission denied: unknown$/],
    ['/etc', 126, /exec: "\/etc": permission denied: unknown$/],
  ];
  for (const [cmd, status, message] of cases) {
    let id = '';
    await assert.rejects(f.start({ command: [cmd] }, { stdio: ['ignore', 'pipe', 'pipe'] }).then((c) => { id = c.id; }), (err) => {
      assert.ok(err instanceof ContainerStartError, String(err));
      assert.equal(err.exitStatus, status, cmd);
      assert.match(err.message, /^failed to create task for container: failed to create shim task: /);
      assert.match(err.message, message);
      return true;
    });
    assert.equal(id, '');
  }
  // the failed start is recorded as docker records it, and leaves no runtime state behind
  assert.deepEqual(await f.runtime.list(), []);
});

test('a failed start is recorded in the state file with docker\'s exit code', async () => {
  const id = f.newId();
  const b = f.bundle(id, { command: ['nope'] });
  await assert.rejects(import('../../../src/runtime/supervisor.ts').then((m) => m.startContainer({
    runtime: f.runtime, id, bundleDir: b.containerDir, containerDir: b.containerDir, shim: f.shim, detach: true,
  })), ContainerStartError);
  const state = readContainerState(join(b.containerDir, 'state.json'));
  assert.equal(state?.status, 'created');
  assert.equal(state?.exitCode, 127);
  assert.match(state?.error ?? '', /executable file not found/);
});

test('-i passes stdin; without it the process reads EOF', async () => {
  assert.equal((await f.run({ command: ['cat'] }, { input: 'from-stdin\n' })).stdout, 'from-stdin\n');
  assert.equal((await f.run({ command: ['sh', '-c', 'cat; echo done'] })).stdout, 'done\n');
});

test('-t gives the process a real pseudo-terminal', async () => {
  const r = await f.run({ command: ['sh', '-c', 'tty; echo $TERM; stty size'], tty: true, consoleSize: { height: 33, width: 101 } });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, '/dev/pts/0\r\nxterm\r\n33 101\r\n', 'a pty turns \\n into \\r\\n, as docker\'s output shows');
  const plain = await f.run({ command: ['sh', '-c', 'tty || true'] });
  assert.equal(plain.stdout, 'not a tty\n');
  // -it: the caller's input reaches the process through the pty
  const it = await f.run({ command: ['sh', '-c', 'read line; echo "got:$line"'], tty: true }, { input: 'hello\n' });
  assert.match(it.stdout, /got:hello\r\n$/);
});

test('--network none shows only lo; --network host shows the host\'s interfaces', async () => {
  const none = await f.run({ command: ['sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "'], network: 'none' });
  assert.equal(none.stdout, 'lo ');
  const host = await f.run({ command: ['sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "'], network: 'host' });
  assert.notEqual(host.stdout, 'lo ');
  assert.match(host.stdout, /\blo\b/);
  const files = await f.run({ command: ['sh', '-c', 'cat /etc/hostname; head -1 /etc/hosts'], hostname: 'h1' });
  assert.equal(files.stdout, 'h1\n127.0.0.1\tlocalhost\n');
});

test('--read-only: the root is read-only, /tmp mounts and /etc files follow it', async () => {
  const r = await f.run({ command: ['sh', '-c', 'touch /x 2>/dev/null && echo rw || echo ro; touch /etc/hosts 2>/dev/null && echo rw || echo ro; touch /t/x && echo tmpfs-rw'], readOnly: true, mounts: [{ type: 'tmpfs', destination: '/t', data: '' }] });
  assert.equal(r.stdout, 'ro\nro\ntmpfs-rw\n');
  const rw = await f.run({ command: ['sh', '-c', 'touch /tmp/x && echo rw'] });
  assert.equal(rw.stdout, 'rw\n');
});

test('bind mounts: read-only and read-write (conformance c08)', async () => {
  const host = join(f.dir, 'hostdir');
  await import('node:fs').then((fs) => { fs.mkdirSync(host); fs.writeFileSync(join(host, 'h'), 'from-host\n'); });
  const ro = await f.run({ command: ['sh', '-c', 'cat /mnt/h/h; { echo nope > /mnt/h/w; } 2>/dev/null || echo read-only'], mounts: [{ type: 'bind', source: host, destination: '/mnt/h', readOnly: true }] });
  assert.equal(ro.stdout, 'from-host\nread-only\n');
  await f.run({ command: ['sh', '-c', 'echo written > /mnt/h/w'], mounts: [{ type: 'bind', source: host, destination: '/mnt/h', readOnly: false }] });
  assert.equal(readFileSync(join(host, 'w'), 'utf8'), 'written\n');
});

test('capabilities: docker\'s default set, --cap-drop ALL, --cap-add', async () => {
  const capEff = async (o: { capAdd?: string[]; capDrop?: string[] }): Promise<string> =>
    (await f.run({ command: ['sh', '-c', 'grep CapEff /proc/self/status'], ...o })).stdout.trim();
  assert.equal(await capEff({}), 'CapEff:\t00000000a80425fb');
  assert.equal(await capEff({ capDrop: ['ALL'] }), 'CapEff:\t0000000000000000');
  assert.equal(await capEff({ capAdd: ['NET_ADMIN'], capDrop: ['chown'] }), 'CapEff:\t00000000a80435fa');
  const nnp = await f.run({ command: ['sh', '-c', 'grep NoNewPrivs /proc/self/status'], noNewPrivileges: true });
  assert.equal(nnp.stdout.trim(), 'NoNewPrivs:\t1');
});

test('--privileged: the caller\'s capabilities, host devices, writable /sys, no masks, no seccomp', async () => {
  const r = await f.run({ command: ['sh', '-c', 'grep CapEff /proc/self/status; test -c /dev/kmsg && echo kmsg; mount | grep " /sys "; grep Seccomp: /proc/self/status; head -c 5 /proc/timer_list; echo'], privileged: true });
  assert.equal(r.exitCode, 0, r.stderr);
  const bnd = /^CapBnd:\s*(\w+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  assert.match(r.stdout, new RegExp(`^CapEff:\\t${bnd}\nkmsg\nsysfs on /sys type sysfs \\(rw,`));
  assert.match(r.stdout, /Seccomp:\t0\nTimer\n$/);
});

test('masked and read-only /proc paths, seccomp on', async () => {
  // (this kernel has no /proc/kcore; /proc/timer_list is there and masked with /dev/null)
  const r = await f.run({ command: ['sh', '-c', 'echo x > /proc/sysrq-trigger 2>/dev/null || echo ro; wc -c < /proc/timer_list; grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null || echo blocked'] });
  assert.equal(r.stdout, 'ro\n0\nSeccomp:\t2\nblocked\n');
});

test('memory and pids limits are applied to the container\'s cgroup', async () => {
  const host = probeHost();
  const c = await f.start({ command: ['sleep', '30'], memory: 64 * 2 ** 20, pidsLimit: 50, nanoCpus: 500_000_000 }, { detach: true });
  try {
    const path = c.bundle.spec.linux.cgroupsPath as string;
    assert.equal(path, `/strata/${c.id}`);
    const read = (controller: string, v1: string, v2: string): string =>
      readFileSync(cgroupFile(host, path, controller, host.cgroupVersion === 2 ? v2 : v1), 'utf8').trim();
    assert.equal(read('memory', 'memory.limit_in_bytes', 'memory.max'), '67108864');
    assert.equal(read('pids', 'pids.max', 'pids.max'), '50');
    if (host.cgroupVersion === 1) {
      assert.equal(read('memory', 'memory.memsw.limit_in_bytes', 'memory.swap.max'), '134217728');
      assert.equal(read('cpu', 'cpu.cfs_quota_us', 'cpu.max'), '50000');
    }
    const inside = (await f.runtime.pids(c.id)).length;
    assert.equal(inside, 1);
  } finally {
    await f.runtime.kill(c.id, 'KILL');
  }
  await eventually(() => (readContainerState(join(c.containerDir, 'state.json'))?.status === 'exited' ? true : undefined));
});

test('a process past its memory limit is OOM-killed: 137 and OOMKilled', async () => {
  const r = await f.run({ command: ['sh', '-c', 'x=0123456789; while true; do x="$x$x"; done'], memory: 8 * 2 ** 20, memorySwap: 8 * 2 ** 20 });
  assert.equal(r.exitCode, 137);
  assert.equal(r.oomKilled, true);
});

test('pids limit stops a fork bomb', async () => {
  const r = await f.run({ command: ['sh', '-c', 'for i in $(seq 1 20); do sleep 5 & done 2>/dev/null; ls /proc | grep -c "^[0-9]"'], pidsLimit: 10 });
  assert.ok(Number(r.stdout.trim()) <= 10, r.stdout);
});

test('--init runs tini as PID 1', async (t) => {
  if (probeHost().initPath === undefined) return t.skip("no tini-static: Debian's tini package provides it (scripts/setup.sh)");
  const r = await f.run({ command: ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo $$'], init: true });
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, /^\/sbin\/docker-init -- sh -c /);
  assert.notEqual(r.stdout.trim().split('\n')[1], '1');
});

test('rlimits: --ulimit applied, nofile clamped to the caller\'s hard limit', async () => {
  const r = await f.run({ command: ['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -Hu'], ulimits: [{ name: 'nofile', soft: 1 << 20, hard: 1 << 20 }, { name: 'nproc', soft: 77, hard: 77 }] });
  const hard = String(probeHost().rlimits['nofile']?.hard);
  assert.equal(r.stdout, `${hard}\n${hard}\n77\n`);
});

test('--runtime crun: used only where a probe run works (Debian\'s crun 1.8 refuses hybrid cgroup hosts)', async (t) => {
  const { findExecutable, OciRuntime, probeRuntime } = await import('../../../src/runtime/runc.ts');
  const crun = findExecutable('crun');
  if (crun === undefined) return t.skip('crun is not installed (bash scripts/setup.sh --test installs it)');
  const failure = probeRuntime(crun);
  if (failure === null) {
    const rt = OciRuntime.locate({ root: join(f.dir, 'crun'), runtime: 'crun' });
    assert.equal(rt.name, 'crun');
  } else {
    assert.throws(() => OciRuntime.locate({ root: join(f.dir, 'crun'), runtime: 'crun' }),
      (e) => (e as { code?: string }).code === 'unavailable' && (e as Error).message.includes(failure));
    if (probeHost().cgroupVersion === 1) assert.match(failure, /hybrid/);
  }
});
