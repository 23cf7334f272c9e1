/**
 * docker's default Linux container spec (moby's oci/defaults.go): the mounts every
 * container gets, the /proc and /sys paths it masks or makes read-only, and the device
 * cgroup rules. Fresh copies each call, since the spec builder edits them.
 */
import type { DeviceCgroupRule, MountEntry } from './spec-types.ts';

export function defaultMounts(): MountEntry[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

/**
 * Masked paths: moby's current list, which adds /proc/interrupts, powercap and the per-CPU
 * thermal_throttle directories (GHSA-6fw5-f8r9-fgfm, GHSA-jq35-85cj-fj4p) to docker 20.10's.
 */
export function defaultMaskedPaths(thermalThrottlePaths: readonly string[]): string[] {
  return [
    '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
    '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats',
    '/sys/devices/virtual/powercap', '/sys/firmware',
    ...thermalThrottlePaths,
  ];
}

export function defaultReadonlyPaths(): string[] {
  return ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
}

/** Deny all, then allow zero, null, urandom, random, tty and console; /dev/fuse (10:229) stays denied. */
export function defaultDeviceRules(): DeviceCgroupRule[] {
  const allow = (major: number, minor: number): DeviceCgroupRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5), allow(1, 3), allow(1, 9), allow(1, 8), allow(5, 0), allow(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}
