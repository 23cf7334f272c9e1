/**
 * Which runc this is, and whether it has the fix for CVE-2024-21626 ("Leaky Vessels", runc
 * 1.1.12): runc leaked a descriptor of the host's /sys/fs/cgroup into the container's init,
 * so a process started with its working directory at /proc/self/fd/N ran with a cwd on the
 * host's filesystem. The fix closes those descriptors and, after the chdir, checks that the
 * working directory is inside the container's root (`possible container breakout detected`).
 *
 * A version number can't tell: Debian 12 backports the fix into runc 1.1.5+ds1-1+deb12u1.
 * So the check is that behaviour itself, tried safely: a throwaway container (one busybox)
 * whose working directory is a directory of ours outside its root, handed in as fd 3 with
 * `--preserve-fds`. A fixed runc refuses to start it; one without the fix runs `true` there.
 * Only when that probe can't tell (runc can't run it at all here) does the version decide:
 * 1.1.12 or later, or Debian's package with the backport.
 *
 * The probe costs one container start (~50 ms), so its verdict is kept per binary (path,
 * size, mtime, inode) in a small JSON file of the store: `run` pays for it once per runc.
 */
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { failedPrecondition } from '../errdefs/index.ts';
import { childProcess, writeFileAtomic } from '../internal/index.ts';

/** What `runc --version` says (its first three lines). */
export interface RuncVersion {
  /** `1.1.12`, `1.1.5+ds1` */
  version: string;
  /** `v1.1.12-0-g51d5e94`, or Debian's package version `1.1.5+ds1-1+deb12u1`; '' when not printed. */
  commit: string;
  /** The OCI runtime spec version it implements; '' when not printed. */
  spec: string;
}

export type LeakFix = 'fixed' | 'missing' | 'unknown';

export interface RuncCheck {
  /** The binary's real path. */
  binary: string;
  /** undefined when the binary does not say it is runc (another OCI runtime: not checked). */
  version: RuncVersion | undefined;
  leakFix: LeakFix;
  /** How the verdict was reached, for messages. */
  evidence: string;
}

/** The CVE, and the fixed releases, as messages name them. */
export const LEAKY_VESSELS = 'CVE-2024-21626';
const FIXED_UPSTREAM = [1, 1, 12] as const;
const FIXED_DEBIAN_12 = '1.1.5+ds1-1+deb12u1';
/** The message of runc's check of the working directory (runc 1.1.12's verifyCwd). */
const BREAKOUT_REFUSED = /working directory is outside of container mount namespace root|possible container breakout detected/;

/** Parses `runc --version`; undefined when the output is not runc's. */
export function parseRuncVersion(text: string): RuncVersion | undefined {
  const first = /^runc version (\S+)/m.exec(text);
  if (first === null) return undefined;
  return {
    version: first[1]!,
    commit: /^commit: (\S+)/m.exec(text)?.[1] ?? '',
    spec: /^spec: (\S+)/m.exec(text)?.[1] ?? '',
  };
}

/** `runc --version` of a binary; undefined when it does not answer as runc does. */
export function runcVersion(binary: string): RuncVersion | undefined {
  const r = childProcess().spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? parseRuncVersion(r.stdout) : undefined;
}

/** Whether an upstream version string (`1.1.12`, `v1.2.0-rc.1`, `1.1.5+ds1`) is 1.1.12 or later. */
export function upstreamHasFix(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (m === null) return false;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])];
  for (let i = 0; i < 3; i++) {
    if (parts[i]! !== FIXED_UPSTREAM[i]) return parts[i]! > FIXED_UPSTREAM[i]!;
  }
  return true;
}

interface CachedCheck extends RuncCheck {
  size: number;
  mtimeMs: number;
  ino: number;
}

const checked = new Map<string, RuncCheck>();

/** Where a store keeps its verdicts. */
export function runcChecksFile(storeRoot: string): string {
  return join(storeRoot, 'runtime', 'runc-checks.json');
}

/**
 * The verdict on `binary` (see the top of this file), from `cacheFile` when it was reached
 * for this very file, else found now and written there.
 */
export function checkRunc(binary: string, cacheFile: string): RuncCheck {
  const real = realpathSync(binary);
  const st = statSync(real);
  const memo = checked.get(real);
  if (memo !== undefined) return memo;
  const cache = readCache(cacheFile);
  const hit = cache[real];
  if (hit !== undefined && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) {
    const { size: _s, mtimeMs: _m, ino: _i, ...result } = hit;
    checked.set(real, result);
    return result;
  }
  const result = findLeakFix(real);
  checked.set(real, result);
  cache[real] = { ...result, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  try {
    // Cheap to lose (found again next time), so not fsynced; atomic, for concurrent commands.
    writeFileAtomic(cacheFile, `${JSON.stringify(cache, null, 2)}\n`, { durable: false });
  } catch { /* a read-only store still runs containers: the probe runs again next time */ }
  return result;
}

/**
 * Refuses a runc without the fix (or one whose fix could not be confirmed).
 * @throws failed-precondition naming the binary, its version, the CVE and what to do.
 */
export function requireLeakFix(check: RuncCheck): void {
  if (check.version === undefined || check.leakFix === 'fixed') return;
  const v = check.version;
  const version = `version ${v.version}${v.commit !== '' && v.commit !== v.version ? `, commit ${v.commit}` : ''}`;
  const what = check.leakFix === 'missing' ? 'lacks the fix for' : 'could not be shown to have the fix for';
  throw failedPrecondition(
    `runc ${check.binary} (${version}) ${what} ${LEAKY_VESSELS} ("Leaky Vessels": a container could reach the host's files through a leaked file descriptor): ${check.evidence}`,
    { hint: `upgrade runc to 1.1.12 or later (Debian 12: ${FIXED_DEBIAN_12} or later), or give --runtime another OCI runtime` },
  );
}

function readCache(file: string): Record<string, CachedCheck> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, CachedCheck>) : {};
  } catch {
    return {};
  }
}

function findLeakFix(binary: string): RuncCheck {
  const version = runcVersion(binary);
  if (version === undefined) return { binary, version, leakFix: 'unknown', evidence: 'not runc' };
  const probe = probeCwdCheck(binary);
  if (probe.leakFix !== 'unknown') return { binary, version, ...probe };
  if (upstreamHasFix(version.version)) return { binary, version, leakFix: 'fixed', evidence: `version ${version.version} is 1.1.12 or later (${probe.evidence})` };
  const debian = debianPackageVersion(binary);
  if (debian !== undefined && debianHasFix(debian)) return { binary, version, leakFix: 'fixed', evidence: `Debian's package ${debian} has the fix (${probe.evidence})` };
  return { binary, version, leakFix: 'unknown', evidence: `version ${version.version} predates 1.1.12, and ${probe.evidence}` };
}

/**
 * Starts a throwaway container whose working directory is a host directory outside its root
 * (fd 3, through /proc/self/fd/3): refused by a fixed runc, run by one without the fix.
 */
function probeCwdCheck(binary: string): { leakFix: LeakFix; evidence: string } {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => statSync(p, { throwIfNoEntry: false })?.isFile() === true);
  if (busybox === undefined) return { leakFix: 'unknown', evidence: 'the probe needs busybox, which is not installed' };
  const dir = mkdtempSync(join(tmpdir(), 'strata-runc-check-'));
  let fd: number | undefined;
  try {
    mkdirSync(join(dir, 'rootfs'));
    copyFileSync(busybox, join(dir, 'rootfs', 'busybox'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2-dev',
      process: { user: { uid: 0, gid: 0 }, args: ['/busybox', 'true'], env: [], cwd: '/proc/self/fd/3' },
      root: { path: 'rootfs', readonly: true },
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }], cgroupsPath: `/strata-probe/${basename(dir)}` },
    }));
    fd = openSync(dir, 'r');
    const r = childProcess().spawnSync(binary, ['--root', join(dir, 'state'), 'run', '--preserve-fds', '1', '--bundle', dir, `runc-check-${basename(dir)}`], {
      encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe', fd],
    });
    if (r.status === 0) return { leakFix: 'missing', evidence: "it started a container whose working directory was outside the container's root" };
    const said = `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim();
    if (BREAKOUT_REFUSED.test(said)) return { leakFix: 'fixed', evidence: "it refuses a working directory outside the container's root" };
    return { leakFix: 'unknown', evidence: `the probe container did not start: ${lastLine(said) || `exit ${r.status}`}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  const line = text.split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  return /"msg":"([^"]*)"/.exec(line)?.[1] ?? /msg="([^"]*)"/.exec(line)?.[1] ?? line;
}

/** The version of the Debian package that owns `binary`, when one does. */
function debianPackageVersion(binary: string): string | undefined {
  const cp = childProcess();
  const owner = cp.spawnSync('dpkg-query', ['-S', binary], { encoding: 'utf8', timeout: 10_000 });
  if (owner.status !== 0) return undefined;
  const pkg = /^([^:\s]+)(?::\S+)?: /.exec(owner.stdout)?.[1];
  if (pkg === undefined) return undefined;
  const v = cp.spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', timeout: 10_000 });
  return v.status === 0 && v.stdout.trim() !== '' ? v.stdout.trim() : undefined;
}

/** Debian's packages carry the fix from 1.1.5+ds1-1+deb12u1 (bookworm); later releases ship 1.1.12+. */
function debianHasFix(version: string): boolean {
  const upstream = version.replace(/^\d+:/, '');
  if (upstreamHasFix(upstream)) return true;
  const r = childProcess().spawnSync('dpkg', ['--compare-versions', version, 'ge', FIXED_DEBIAN_12], { timeout: 10_000 });
  return r.status === 0;
}
