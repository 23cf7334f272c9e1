/**
 * strata's default seccomp profile. docker's is an allow-list of ~350 syscalls kept in
 * step with every kernel; strata writes its own, smaller, deny-list: everything is allowed
 * except the syscalls docker's documentation names as blocked by its profile (kernel
 * keyrings, module loading, new namespaces, mounts, clocks, io_uring, userfaultfd, …),
 * each unblocked by the capability docker ties it to. Capabilities already stop most of
 * them; the profile matters for the few that need none (`unshare(CLONE_NEWUSER)`,
 * `keyctl`, `userfaultfd`, io_uring). `--security-opt seccomp=unconfined` turns it off and
 * `--privileged` runs without one, as docker.
 */
import type { LinuxSeccomp, SeccompSyscall } from './spec-types.ts';

const EPERM = 1;
const ENOSYS = 38;

/** Blocked whatever the capabilities. */
const ALWAYS_BLOCKED = [
  'add_key', 'keyctl', 'request_key', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl',
  'vm86', 'vm86old', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
];

/** Blocked unless the container holds one of the capabilities. */
const GATED: ReadonlyArray<{ caps: string[]; names: string[] }> = [
  {
    caps: ['CAP_SYS_ADMIN'],
    names: [
      'mount', 'umount', 'umount2', 'pivot_root', 'setns', 'unshare', 'swapon', 'swapoff', 'quotactl',
      'lookup_dcookie', 'fanotify_init', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount',
      'fspick', 'mount_setattr', 'sethostname', 'setdomainname', 'clone3',
    ],
  },
  { caps: ['CAP_SYS_ADMIN', 'CAP_BPF'], names: ['bpf'] },
  { caps: ['CAP_SYS_ADMIN', 'CAP_PERFMON'], names: ['perf_event_open'] },
  { caps: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'], names: ['syslog'] },
  { caps: ['CAP_SYS_BOOT'], names: ['reboot', 'kexec_load', 'kexec_file_load'] },
  { caps: ['CAP_SYS_MODULE'], names: ['init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms'] },
  { caps: ['CAP_SYS_PACCT'], names: ['acct'] },
  { caps: ['CAP_SYS_PTRACE'], names: ['kcmp', 'process_vm_readv', 'process_vm_writev', 'process_madvise', 'pidfd_getfd', 'userfaultfd'] },
  { caps: ['CAP_SYS_RAWIO'], names: ['iopl', 'ioperm'] },
  { caps: ['CAP_SYS_TIME'], names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'clock_adjtime', 'clock_adjtime64'] },
  { caps: ['CAP_SYS_NICE'], names: ['get_mempolicy', 'set_mempolicy', 'mbind', 'move_pages'] },
  { caps: ['CAP_SYS_TTY_CONFIG'], names: ['vhangup'] },
  { caps: ['CAP_DAC_READ_SEARCH'], names: ['open_by_handle_at', 'name_to_handle_at'] },
];

/** clone(2) flags that create namespaces; clone with any of them needs CAP_SYS_ADMIN. */
const CLONE_NAMESPACE_FLAGS = [
  0x00020000, // CLONE_NEWNS
  0x02000000, // CLONE_NEWCGROUP
  0x04000000, // CLONE_NEWUTS
  0x08000000, // CLONE_NEWIPC
  0x10000000, // CLONE_NEWUSER
  0x20000000, // CLONE_NEWPID
  0x40000000, // CLONE_NEWNET
];

const ARCHITECTURES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
};

/** The default profile for a container holding `capabilities`. */
export function defaultSeccompProfile(capabilities: readonly string[], arch: string = process.arch): LinuxSeccomp {
  const has = (caps: readonly string[]): boolean => caps.some((c) => capabilities.includes(c));
  const blocked = [...ALWAYS_BLOCKED];
  for (const group of GATED) if (!has(group.caps)) blocked.push(...group.names);
  const syscalls: SeccompSyscall[] = [];
  // clone3 can't be filtered by flags (they are behind a pointer): ENOSYS makes libc fall back to clone.
  const clone3 = blocked.indexOf('clone3');
  if (clone3 >= 0) {
    blocked.splice(clone3, 1);
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  syscalls.push({ names: blocked, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM });
  if (!has(['CAP_SYS_ADMIN'])) {
    for (const flag of CLONE_NAMESPACE_FLAGS) {
      syscalls.push({
        names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      });
    }
  }
  const profile: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls };
  const archs = ARCHITECTURES[arch];
  if (archs !== undefined) profile.architectures = archs;
  return profile;
}
