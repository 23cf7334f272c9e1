/**
 * `--security-opt` values as docker/cli and the daemon read them: `no-new-privileges[=bool]`,
 * `seccomp=unconfined|<profile file>`, `apparmor=…`, `label=…`, `systempaths=unconfined`.
 */
import { invalidArgument } from '../errdefs/index.ts';
import type { LinuxSeccomp } from './spec-types.ts';

export interface SecurityOptions {
  noNewPrivileges?: boolean;
  seccomp?: 'default' | 'unconfined' | LinuxSeccomp;
  /** `apparmor=` (strata applies no AppArmor profile; kept for inspect). */
  apparmor?: string;
  /** `label=` values (no SELinux here; kept for inspect). */
  labels?: string[];
  /** `systempaths=unconfined`: no masked or read-only /proc paths. */
  unmaskSystemPaths?: boolean;
}

const BOOL: Record<string, boolean> = { 1: true, t: true, T: true, TRUE: true, true: true, True: true, 0: false, f: false, F: false, FALSE: false, false: false, False: false };

/**
 * Parses the `--security-opt` list. `readProfile` reads a seccomp profile file (the CLI's
 * job, as docker/cli reads it before sending it).
 * @throws invalid-argument `invalid --security-opt: "x"` and docker's other messages.
 */
export function parseSecurityOpts(values: readonly string[], readProfile: (path: string) => string): SecurityOptions {
  const out: SecurityOptions = {};
  for (const opt of values) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    let sep = opt.indexOf('=');
    if (sep < 0) sep = opt.indexOf(':');
    if (sep < 0) throw invalidArgument(`invalid --security-opt: ${JSON.stringify(opt)}`);
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    switch (key) {
      case 'no-new-privileges': {
        const b = BOOL[value];
        if (b === undefined) throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.noNewPrivileges = b;
        break;
      }
      case 'seccomp':
        if (value === 'unconfined') {
          out.seccomp = 'unconfined';
        } else if (value === 'builtin') {
          out.seccomp = 'default';
        } else {
          let text: string;
          try {
            text = readProfile(value);
          } catch (err) {
            throw invalidArgument(`opening seccomp profile (${value}) failed: ${(err as Error).message}`);
          }
          try {
            out.seccomp = JSON.parse(text) as LinuxSeccomp;
          } catch (err) {
            throw invalidArgument(`decoding seccomp profile failed: ${(err as Error).message}`);
          }
          if (typeof out.seccomp.defaultAction !== 'string') throw invalidArgument('decoding seccomp profile failed: no defaultAction');
        }
        break;
      case 'apparmor':
        out.apparmor = value;
        break;
      case 'label':
        (out.labels ??= []).push(value);
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.unmaskSystemPaths = true;
        break;
      default:
        throw invalidArgument(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}
