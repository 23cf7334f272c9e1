/**
 * Linux capabilities as docker grants them: a default set of 14, `--privileged` for every
 * capability the caller itself holds, `--cap-add`/`--cap-drop` with or without `CAP_`,
 * any case, and `ALL`.
 */
import { invalidArgument } from '../errdefs/index.ts';

/** docker's default set, in docker's order (oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability the kernel knows, by bit number (linux/capability.h). */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** The capability names in a `/proc/<pid>/status` `CapBnd:` hex mask. */
export function capabilitiesFromMask(hexMask: string): string[] {
  const mask = BigInt('0x' + hexMask.trim());
  return KNOWN_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/**
 * Upper-cases and prefixes `CAP_` (keeping `ALL`), as docker's NormalizeLegacyCapabilities.
 * @throws invalid-argument `unknown capability: "CAP_FOO"`, or `capability not supported by
 *   your kernel or not available in the current environment: "CAP_X"` when the caller lacks it.
 */
export function normalizeCapabilities(names: readonly string[], available: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of names) {
    let name = raw.toUpperCase();
    if (name === 'ALL') {
      out.push(name);
      continue;
    }
    if (!name.startsWith('CAP_')) name = 'CAP_' + name;
    if (!KNOWN_CAPABILITIES.includes(name)) throw invalidArgument(`unknown capability: "${name}"`);
    if (!available.includes(name)) {
      throw invalidArgument(`capability not supported by your kernel or not available in the current environment: "${name}"`);
    }
    out.push(name);
  }
  return out;
}

/**
 * The container's capability set: every available one when privileged; else the defaults
 * minus `--cap-drop` plus `--cap-add` (`--cap-add ALL` is all but the dropped ones,
 * `--cap-drop ALL` leaves only the added ones).
 * @param available the capabilities the caller holds (its bounding set); a container can't get more.
 */
export function containerCapabilities(input: {
  privileged?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  available: readonly string[];
}): string[] {
  const { available } = input;
  if (input.privileged) return [...available];
  const adds = input.capAdd ?? [];
  const drops = input.capDrop ?? [];
  if (adds.length === 0 && drops.length === 0) return [...DEFAULT_CAPABILITIES];
  const capDrop = normalizeCapabilities(drops, available);
  const capAdd = normalizeCapabilities(adds, available);
  if (capAdd.includes('ALL')) return available.filter((c) => !capDrop.includes(c));
  if (capDrop.includes('ALL')) return capAdd;
  const out = DEFAULT_CAPABILITIES.filter((c) => !capDrop.includes(c));
  for (const c of capAdd) out.push(c);
  return out;
}
