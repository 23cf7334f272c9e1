/**
 * `exec`: the process.json for a new process in a running container, built from the
 * container's own spec as docker does: the container's environment with `-e` laid over
 * it, `-u` resolved against the rootfs (else the container's user), `-w` (else the
 * container's cwd), the container's capabilities (all the caller's with `--privileged`),
 * `TERM=xterm` with `-t`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError, invalidArgument } from '../errdefs/index.ts';
import { replaceOrAppendEnv } from './env.ts';
import { readRootfsFile } from './rootfs-path.ts';
import type { ExecProcessSpec, RuntimeSpec } from './spec-types.ts';
import { resolveUser } from './user.ts';

export interface ExecOptions {
  /** The command and its arguments. */
  cmd: string[];
  /** `-e` entries (already resolved with `resolveEnvFlag`). */
  env?: string[];
  /** `-u`. */
  user?: string;
  /** `-w`. */
  workdir?: string;
  /** `-t`. */
  tty?: boolean;
  consoleSize?: { height: number; width: number };
  /** `--privileged`: every capability the caller holds. */
  privileged?: boolean;
  /** The caller's capabilities, for `--privileged`. */
  availableCapabilities?: string[];
}

/** Reads a bundle's config.json. @throws not-found when the bundle has none. */
export function readBundleSpec(bundleDir: string): RuntimeSpec {
  try {
    return JSON.parse(readFileSync(join(bundleDir, 'config.json'), 'utf8')) as RuntimeSpec;
  } catch (err) {
    throw fromSystemError(err, `read ${join(bundleDir, 'config.json')}`);
  }
}

/**
 * The exec process for a container whose spec and rootfs are given.
 * @throws invalid-argument for an empty command, a relative `-w`, or an unknown `-u` user.
 */
export function execProcess(spec: RuntimeSpec, rootfs: string, options: ExecOptions): ExecProcessSpec {
  if (options.cmd.length === 0) throw invalidArgument('No exec command specified');
  if (options.workdir !== undefined && options.workdir !== '' && !options.workdir.startsWith('/')) {
    throw invalidArgument(`the working directory '${options.workdir}' is invalid, it needs to be an absolute path`);
  }
  const base = spec.process;
  let user = base.user;
  if (options.user !== undefined && options.user !== '') {
    const userDb: { passwd?: string; group?: string } = {};
    const passwd = readRootfsFile(rootfs, '/etc/passwd');
    const group = readRootfsFile(rootfs, '/etc/group');
    if (passwd !== undefined) userDb.passwd = passwd.toString('utf8');
    if (group !== undefined) userDb.group = group.toString('utf8');
    const u = resolveUser(options.user, userDb);
    user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  }
  const tty = options.tty === true;
  let env = [...base.env];
  if (tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  env = replaceOrAppendEnv(env, options.env ?? []);
  const caps = options.privileged && options.availableCapabilities !== undefined
    ? { bounding: [...options.availableCapabilities], effective: [...options.availableCapabilities], permitted: [...options.availableCapabilities] }
    : base.capabilities;
  const proc: ExecProcessSpec = {
    user,
    args: [...options.cmd],
    env,
    cwd: options.workdir || base.cwd,
  };
  if (tty) {
    proc.terminal = true;
    if (options.consoleSize) proc.consoleSize = { ...options.consoleSize };
  }
  if (caps !== undefined) proc.capabilities = caps;
  if (base.noNewPrivileges) proc.noNewPrivileges = true;
  if (base.rlimits) proc.rlimits = base.rlimits;
  if (base.apparmorProfile) proc.apparmorProfile = base.apparmorProfile;
  if (base.selinuxLabel) proc.selinuxLabel = base.selinuxLabel;
  return proc;
}
