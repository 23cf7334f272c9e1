/**
 * Platforms (`linux/amd64`, `linux/arm64/v8`) as the OCI image index and docker's
 * `--platform` flag name them, with containerd's normalisation of architectures.
 */
import { invalidArgument } from '../errdefs/index.ts';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  x86: '386',
  i386: '386',
  i686: '386',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
};

function normalizeArch(arch: string, variant: string | undefined): { architecture: string; variant?: string } {
  const architecture = ARCH_ALIASES[arch] ?? arch;
  if (architecture === 'arm64') {
    // arm64's only variant is v8, and an absent variant means v8.
    return variant === undefined || variant === '' || variant === 'v8' || variant === '8' ? { architecture } : { architecture, variant };
  }
  if (architecture === 'arm') {
    if (arch === 'armel') return { architecture, variant: 'v6' };
    if (arch === 'armhf') return { architecture, variant: 'v7' };
    const v = variant === undefined || variant === '' ? 'v7' : variant.startsWith('v') ? variant : `v${variant}`;
    return { architecture, variant: v };
  }
  return variant ? { architecture, variant } : { architecture };
}

/** The platform this process runs on. */
export function hostPlatform(): Platform {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return { os: process.platform === 'win32' ? 'windows' : process.platform, ...normalizeArch(arch, undefined) };
}

/**
 * Parses `os[/arch[/variant]]` as docker's `--platform` does; a bare architecture is not
 * accepted (docker requires the os).
 */
export function parsePlatform(spec: string): Platform {
  const parts = spec.toLowerCase().split('/');
  const [os, arch, variant] = parts;
  if (parts.length > 3 || os === undefined || os === '' || parts.some((p) => p === '')) {
    throw invalidArgument(`"${spec}": invalid platform: expected os/arch[/variant]`);
  }
  if (!/^[a-z0-9_-]+$/.test(os) || (arch !== undefined && !/^[a-z0-9_-]+$/.test(arch))) {
    throw invalidArgument(`"${spec}": invalid platform: unknown operating system or architecture`);
  }
  const host = hostPlatform();
  if (arch === undefined) {
    return os === host.os ? host : { os, architecture: host.architecture };
  }
  return { os, ...normalizeArch(arch, variant) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

/** True when an image for `candidate` runs on `wanted` (normalised os, arch and variant equal). */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = { os: wanted.os, ...normalizeArch(wanted.architecture, wanted.variant) };
  const c = { os: candidate.os, ...normalizeArch(candidate.architecture, candidate.variant) };
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  return w.variant === undefined || c.variant === undefined || w.variant === c.variant;
}
