// Generated runtime specs compared with what docker 20.10 wrote to its runc bundles on this
// machine (/run/containerd/io.containerd.runtime.v2.task/moby/<id>/config.json), for the
// same flags; where strata differs on purpose (cgroupsPath, masked paths, seccomp) the
// expectation says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, serializeSpec, type SpecInput } from '../../../src/runtime/spec.ts';
import type { HostInfo } from '../../../src/runtime/host-info.ts';
import { parseProcLimits } from '../../../src/runtime/host-info.ts';
import { containerCapabilities, capabilitiesFromMask, DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES } from '../../../src/runtime/capabilities.ts';
import { containerRlimits, parseDeviceCgroupRule, parseUlimit } from '../../../src/runtime/resources.ts';
import { DEFAULT_HOSTS, hostsFileContent, resolvConfContent } from '../../../src/runtime/etc-files.ts';
import { defaultSeccompProfile } from '../../../src/runtime/seccomp.ts';
import { parseSecurityOpts } from '../../../src/runtime/security-opts.ts';
import type { RunOptions } from '../../../src/runtime/run-options.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

const ID = '3ca6019de42cb512ceeaa495c737935abfbffa27dec1efd5fc5875f85f1f6f86';
// This machine: every capability but CAP_SYS_RESOURCE, NOFILE hard limit 20000.
const host: HostInfo = {
  cgroupVersion: 1,
  capabilities: capabilitiesFromMask('000001fffeffffff'),
  rlimits: { nofile: { soft: 20000, hard: 20000 }, nproc: { soft: 96365, hard: 96365 }, core: { soft: 0, hard: -1 } },
  hostname: 'vm',
  hostsFile: '127.0.0.1 localhost\n127.0.0.1 vm\n',
  resolvConf: 'nameserver 10.255.255.53\n',
  sysctls: ['net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'],
  cpuCount: 2,
  thermalThrottlePaths: [],
  initPath: '/usr/bin/docker-init',
  kernelRelease: '6.1.0-18-amd64',
};
const etcFiles = { hosts: '/c/hosts', hostname: '/c/hostname', resolvConf: '/c/resolv.conf' };
const userDb = { passwd: 'root:x:0:0:root:/root:/bin/sh\n', group: 'root:x:0:\n' };

function spec(options: Partial<RunOptions>, extra: Partial<SpecInput> = {}): ReturnType<typeof buildSpec> {
  return buildSpec({ rootfs: '/rootfs', image: { Cmd: ['sh'] }, options: { id: ID, ...options }, userDb, etcFiles, host, ...extra });
}

const DOCKER_DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

const DOCKER_DEFAULT_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
];

test('default run: docker run --network none IMAGE sleep 60', () => {
  const { spec: s, hostname } = spec({ command: ['sleep', '60'] });
  assert.equal(hostname, '3ca6019de42c');
  assert.equal(s.ociVersion, '1.0.2-dev');
  assert.deepEqual(s.process.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(s.process.args, ['sleep', '60']);
  assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=3ca6019de42c']);
  assert.equal(s.process.cwd, '/');
  assert.deepEqual(s.process.capabilities, { bounding: DEFAULT_CAPABILITIES, effective: DEFAULT_CAPABILITIES, permitted: DEFAULT_CAPABILITIES });
  assert.equal(s.process.terminal, undefined);
  assert.equal(s.process.rlimits, undefined, 'docker passes no rlimits: the container inherits the runtime\'s');
  assert.deepEqual(s.root, { path: '/rootfs' });
  assert.equal(s.hostname, '3ca6019de42c');
  assert.deepEqual(s.mounts, [
    ...DOCKER_DEFAULT_MOUNTS,
    { destination: '/etc/resolv.conf', type: 'bind', source: '/c/resolv.conf', options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: '/c/hostname', options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/c/hosts', options: ['rbind', 'rprivate'] },
  ]);
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
  assert.deepEqual(s.linux.resources, { devices: DOCKER_DEVICE_RULES });
  assert.equal(s.linux.cgroupsPath, `/strata/${ID}`, 'docker: /docker/<id>');
  assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
  assert.deepEqual(s.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  // docker 20.10's ten masked paths, plus the two moby added since
  for (const p of ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
    '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/proc/interrupts', '/sys/devices/virtual/powercap']) {
    assert.ok(s.linux.maskedPaths?.includes(p), p);
  }
  assert.equal(s.linux.maskedPaths?.length, 12);
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ALLOW');
  assert.equal(s.linux.devices, undefined);
});

test('many flags at once, as docker 20.10 wrote them', () => {
  // docker run -d --read-only --tmpfs /run:size=1m --tmpfs /x -v /tmp/hE:/mnt:ro -v /tmp/hE/rootfs/etc:/e
  //   --mount type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770 --cap-add NET_ADMIN --cap-drop chown
  //   --security-opt no-new-privileges --memory 64m --cpus 0.5 --pids-limit 50 --shm-size 1m --init -t
  //   -e A=1 -e PATH=/bin --hostname hh --network none -w /w IMAGE sleep 60
  const { spec: s } = spec({
    command: ['sleep', '60'], readOnly: true, capAdd: ['NET_ADMIN'], capDrop: ['chown'], noNewPrivileges: true,
    memory: 64 * 2 ** 20, nanoCpus: 500_000_000, pidsLimit: 50, shmSize: 2 ** 20, init: true, tty: true,
    env: ['A=1', 'PATH=/bin'], hostname: 'hh', network: 'none', workdir: '/w',
    mounts: [
      { type: 'bind', source: '/tmp/hE/rootfs/etc', destination: '/e', readOnly: false },
      { type: 'bind', source: '/tmp/hE', destination: '/mnt', readOnly: true },
      { type: 'tmpfs', destination: '/run', data: 'size=1m' },
      { type: 'tmpfs', destination: '/x', data: '' },
      { type: 'tmpfs', destination: '/t', data: 'mode=1770,size=2m' },
    ],
  });
  const caps = ['CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP',
    'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE', 'CAP_NET_ADMIN'];
  assert.deepEqual(s.process, {
    terminal: true,
    user: { uid: 0, gid: 0, additionalGids: [0] },
    args: ['/sbin/docker-init', '--', 'sleep', '60'],
    env: ['PATH=/bin', 'HOSTNAME=hh', 'TERM=xterm', 'A=1'],
    cwd: '/w',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: true,
  });
  assert.deepEqual(s.root, { path: '/rootfs', readonly: true });
  const ro = (m: (typeof DOCKER_DEFAULT_MOUNTS)[number]): typeof m =>
    ['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination) || m.options.includes('ro') ? m : { ...m, options: [...m.options, 'ro'] };
  assert.deepEqual(s.mounts, [
    ...DOCKER_DEFAULT_MOUNTS.slice(0, 6).map(ro),
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=1048576'] },
    { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/docker-init', options: ['bind', 'ro'] },
    { destination: '/e', type: 'bind', source: '/tmp/hE/rootfs/etc', options: ['rbind', 'rprivate'] },
    // docker 25 and later make a read-only bind read-only all the way down (20.10 wrote `ro`)
    { destination: '/mnt', type: 'bind', source: '/tmp/hE', options: ['rbind', 'rro', 'rprivate'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m'] },
    { destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] },
    { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'mode=1770', 'size=2m'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: '/c/resolv.conf', options: ['rbind', 'ro', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: '/c/hostname', options: ['rbind', 'ro', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/c/hosts', options: ['rbind', 'ro', 'rprivate'] },
  ]);
  // docker 20.10 also wrote the zero values (shares 0, blockIO weight 0, disableOOMKiller false); current moby omits them.
  assert.deepEqual(s.linux.resources, {
    devices: DOCKER_DEVICE_RULES,
    memory: { limit: 67108864, swap: 134217728 },
    cpu: { period: 100000, quota: 50000 },
    pids: { limit: 50 },
  });
});

test('--network host: no network namespace, the host\'s name and files, no net sysctls', () => {
  const { spec: s, hostname } = spec({ network: 'host' });
  assert.equal(hostname, 'vm');
  assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
  assert.equal(s.linux.sysctl, undefined);
  assert.equal(spec({ network: 'host', hostname: 'mine' }).hostname, 'mine');
});

test('cgroup v2 hosts get a cgroup namespace', () => {
  const s = buildSpec({ rootfs: '/r', image: { Cmd: ['sh'] }, options: { id: ID }, userDb, etcFiles, host: { ...host, cgroupVersion: 2 } }).spec;
  assert.deepEqual(s.linux.namespaces.at(-1), { type: 'cgroup' });
});

test('--privileged: every capability the caller has, no masks, writable /sys and cgroups, all devices', () => {
  const devices = [{ path: '/dev/loop0', type: 'b' as const, major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 6 }];
  const { spec: s } = spec({ privileged: true }, { privilegedDevices: devices });
  assert.equal(s.process.capabilities?.bounding?.length, 40);
  assert.ok(!s.process.capabilities?.bounding?.includes('CAP_SYS_RESOURCE'), 'the caller lacks CAP_SYS_RESOURCE, so runc could not grant it');
  assert.deepEqual(s.linux.maskedPaths, []);
  assert.deepEqual(s.linux.readonlyPaths, []);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/sys')?.options, ['nosuid', 'noexec', 'nodev']);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev']);
  assert.deepEqual(s.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(s.linux.devices, devices);
  assert.equal(s.linux.seccomp, undefined);
});

test('capabilities: --cap-add/--cap-drop forms and errors', () => {
  const available = capabilitiesFromMask('000001fffeffffff');
  const caps = (capAdd: string[], capDrop: string[]): string[] => containerCapabilities({ capAdd, capDrop, available });
  assert.deepEqual(caps([], []), DEFAULT_CAPABILITIES);
  assert.deepEqual(caps(['sys_admin'], ['CAP_KILL', 'net_raw']), [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_KILL' && c !== 'CAP_NET_RAW'), 'CAP_SYS_ADMIN']);
  assert.deepEqual(caps(['chown'], ['ALL']), ['CAP_CHOWN']);
  assert.deepEqual(caps(['ALL'], ['mknod']), available.filter((c) => c !== 'CAP_MKNOD'));
  assert.throws(() => caps(['FOO'], []), (e) => isStrataError(e, 'invalid-argument') && e.message === 'unknown capability: "CAP_FOO"');
  assert.throws(() => caps(['SYS_RESOURCE'], []),
    (e) => isStrataError(e) && e.message === 'capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"');
  assert.equal(KNOWN_CAPABILITIES.length, 41);
  assert.equal(capabilitiesFromMask('00000000a80425fb').length, DEFAULT_CAPABILITIES.length);
});

test('resources: docker\'s limits and messages', () => {
  const res = (o: Partial<RunOptions>) => spec(o).spec.linux.resources;
  assert.deepEqual(res({ memory: 100 * 2 ** 20, memorySwap: -1 })?.memory, { limit: 104857600 });
  assert.deepEqual(res({ memory: 100 * 2 ** 20, memorySwap: 300 * 2 ** 20, memoryReservation: 50 * 2 ** 20 })?.memory,
    { limit: 104857600, reservation: 52428800, swap: 314572800 });
  assert.deepEqual(res({ cpuShares: 512, cpusetCpus: '0-1' })?.cpu, { shares: 512, cpus: '0-1' });
  assert.deepEqual(res({ nanoCpus: 1_500_000_000 })?.cpu, { period: 100000, quota: 150000 });
  assert.deepEqual(res({ pidsLimit: 0 })?.pids, { limit: -1 });
  assert.deepEqual(res({ oomKillDisable: true })?.memory, { disableOOMKiller: true });
  const fails: Array<[Partial<RunOptions>, string]> = [
    [{ memory: 1024 }, 'Minimum memory limit allowed is 6MB'],
    [{ memory: 64 * 2 ** 20, memorySwap: 32 * 2 ** 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
    [{ memorySwap: 64 * 2 ** 20 }, 'You should always set the Memory limit when using Memoryswap limit, see usage'],
    [{ nanoCpus: 3e9 }, 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    [{ nanoCpus: 1e9, cpuPeriod: 50000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set'],
    [{ cpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    [{ cpuShares: -1 }, 'invalid CPU shares (-1): value must be a positive integer'],
    [{ shmSize: -1 }, 'SHM size can not be less than 0'],
    [{ oomScoreAdj: 2000 }, 'Invalid value 2000, range for oom score adj is [-1000, 1000]'],
    [{ workdir: 'rel' }, "the working directory 'rel' is invalid, it needs to be an absolute path"],
    [{ user: 'nope' }, 'unable to find user nope: no matching entries in passwd file'],
  ];
  for (const [o, message] of fails) {
    assert.throws(() => spec(o), (e) => isStrataError(e, 'invalid-argument') && e.message === message, message);
  }
  assert.throws(() => buildSpec({ rootfs: '/r', image: { Cmd: ['sh'] }, options: { id: ID, init: true }, userDb, etcFiles, host: { ...host, initPath: undefined } }),
    (e) => isStrataError(e, 'failed-precondition'));
});

test('rlimits: --ulimit clamped to the caller\'s hard limits, infinity serialized for runc', () => {
  assert.deepEqual(parseUlimit('nofile=1024:4096'), { name: 'nofile', soft: 1024, hard: 4096 });
  assert.deepEqual(parseUlimit('core=-1'), { name: 'core', soft: -1, hard: -1 });
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile=10:5'), /ulimit soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.deepEqual(containerRlimits([{ name: 'nofile', soft: 1048576, hard: 1048576 }, { name: 'nproc', soft: 100, hard: 200 }, { name: 'core', soft: -1, hard: -1 }], host.rlimits), [
    { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
    { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
    { type: 'RLIMIT_CORE', soft: -1, hard: -1 },
  ]);
  const s = spec({ ulimits: [{ name: 'core', soft: -1, hard: -1 }] }).spec;
  assert.match(serializeSpec(s), /"soft": 18446744073709551615,\s*"hard": 18446744073709551615/);
  const limits = parseProcLimits('Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 20000                files     \nMax core file size        0                    unlimited            bytes     \n');
  assert.deepEqual(limits, { nofile: { soft: 1024, hard: 20000 }, core: { soft: 0, hard: -1 } });
});

test('device cgroup rules', () => {
  assert.deepEqual(parseDeviceCgroupRule('c 1:3 mr'), { allow: true, type: 'c', major: 1, minor: 3, access: 'mr' });
  assert.deepEqual(parseDeviceCgroupRule('a *:* rwm'), { allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' });
  assert.throws(() => parseDeviceCgroupRule('x 1:2 r'), /invalid device cgroup rule format: 'x 1:2 r'/);
  const rules = spec({ deviceCgroupRules: ['b 7:* rw'] }).spec.linux.resources?.devices;
  assert.deepEqual(rules?.at(-1), { allow: true, type: 'b', major: 7, minor: -1, access: 'rw' });
});

test('/etc files as docker writes them', () => {
  assert.equal(hostsFileContent({ network: 'none', hostHosts: 'x' }),
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n');
  assert.equal(hostsFileContent({ network: 'host', hostHosts: host.hostsFile }), host.hostsFile);
  assert.equal(hostsFileContent({ network: 'host', hostHosts: host.hostsFile, extraHosts: [{ name: 'db', ip: '10.0.0.2' }] }), DEFAULT_HOSTS + '10.0.0.2\tdb\n');
  assert.equal(resolvConfContent({ network: 'none', hostResolvConf: 'nameserver 10.255.255.53\n' }), 'nameserver 10.255.255.53\n');
  assert.equal(resolvConfContent({ network: 'host', hostResolvConf: 'nameserver 127.0.0.53\n' }), 'nameserver 127.0.0.53\n');
  assert.equal(resolvConfContent({ network: 'none', hostResolvConf: 'search lan\nnameserver 127.0.0.1\nnameserver ::1\n' }),
    'search lan\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4');
  assert.equal(resolvConfContent({ network: 'none', hostResolvConf: 'search lan\nnameserver 1.1.1.1\noptions ndots:1\n', dns: ['9.9.9.9'], dnsOptions: ['ndots:2'] }),
    'search lan\nnameserver 9.9.9.9\noptions ndots:2\n');
});

test('seccomp: deny-list gated by capabilities', () => {
  const blocked = (caps: readonly string[]): string[] => defaultSeccompProfile(caps, 'x64').syscalls?.flatMap((s) => (s.args ? [] : s.names)) ?? [];
  const plain = blocked(DEFAULT_CAPABILITIES);
  for (const name of ['keyctl', 'unshare', 'mount', 'setns', 'bpf', 'reboot', 'init_module', 'clone3', 'userfaultfd', 'io_uring_setup']) {
    assert.ok(plain.includes(name), name);
  }
  assert.ok(!plain.includes('chroot') && !plain.includes('ptrace') && !plain.includes('clone'));
  const admin = blocked([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
  assert.ok(!admin.includes('mount') && !admin.includes('unshare') && admin.includes('keyctl'));
  const p = defaultSeccompProfile(DEFAULT_CAPABILITIES, 'x64');
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.equal(p.syscalls?.filter((s) => s.names[0] === 'clone' && s.args).length, 7);
  assert.equal(spec({ seccomp: 'unconfined' }).spec.linux.seccomp, undefined);
});

test('--security-opt values', () => {
  const profile = '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}';
  const read = (p: string): string => { if (p === '/p.json') return profile; throw new Error(`open ${p}: no such file or directory`); };
  assert.deepEqual(parseSecurityOpts(['no-new-privileges', 'seccomp=unconfined'], read), { noNewPrivileges: true, seccomp: 'unconfined' });
  assert.deepEqual(parseSecurityOpts(['no-new-privileges=false', 'seccomp:/p.json', 'label=disable', 'systempaths=unconfined'], read),
    { noNewPrivileges: false, seccomp: JSON.parse(profile), labels: ['disable'], unmaskSystemPaths: true });
  assert.throws(() => parseSecurityOpts(['bogus'], read), /invalid --security-opt: "bogus"/);
  assert.throws(() => parseSecurityOpts(['foo=bar'], read), /invalid --security-opt 1: "foo=bar"/);
  assert.throws(() => parseSecurityOpts(['no-new-privileges=maybe'], read), /invalid --security-opt 2/);
  assert.throws(() => parseSecurityOpts(['seccomp=/nope.json'], read), /opening seccomp profile \(\/nope.json\) failed: open \/nope.json: no such file or directory/);
  const s = spec({ unmaskSystemPaths: true, seccomp: JSON.parse(profile) }).spec;
  assert.deepEqual([s.linux.maskedPaths, s.linux.readonlyPaths], [[], []]);
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
});

test('a user network\'s resolver replaces the host\'s nameservers; search and options stay', () => {
  const host = 'search corp.example\nnameserver 10.0.0.53\nnameserver 127.0.0.53\noptions ndots:2\n';
  assert.equal(resolvConfContent({ network: 'none', hostResolvConf: host, resolvers: ['10.89.0.1'] }), 'nameserver 10.89.0.1\nsearch corp.example\noptions ndots:2\n');
  assert.equal(resolvConfContent({ network: 'none', hostResolvConf: host, resolvers: ['10.89.0.1'], dns: ['1.1.1.1'] }), 'search corp.example\nnameserver 1.1.1.1\noptions ndots:2\n');
});

test('a network namespace path is joined instead of a new namespace made', () => {
  const joined = spec({ netnsPath: '/var/lib/strata/netns/abc' }).spec;
  assert.deepEqual(joined.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/var/lib/strata/netns/abc' });
  assert.deepEqual(spec({}).spec.linux.namespaces.find((n) => n.type === 'network'), { type: 'network' });
});
