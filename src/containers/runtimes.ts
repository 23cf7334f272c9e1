/**
 * What containers run with: the OCI runtimes (each with its own state root under
 * `<root>/runtime/<name>`), the host's facts (cgroup version, capabilities), found once per
 * command, and the supervisor binary.
 */
import { join } from 'node:path';
import { isStrataError } from '../errdefs/index.ts';
import { ensureShim, OciRuntime, probeHost, type HostInfo } from '../runtime/index.ts';

export class ContainerRuntimes {
  private readonly runtimes = new Map<string, OciRuntime>();
  private hostInfo: HostInfo | undefined;

  constructor(private readonly root: string) {}

  get host(): HostInfo {
    this.hostInfo ??= probeHost();
    return this.hostInfo;
  }

  /** The OCI runtime a container runs with. @throws unavailable for an unknown one. */
  runtimeFor(name = 'runc'): OciRuntime {
    let rt = this.runtimes.get(name);
    if (rt === undefined) {
      rt = OciRuntime.locate({ root: join(this.root, 'runtime', name), runtime: name });
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  /**
   * The runtime a container process is about to be started with: as `runtimeFor`, and
   * refused when it is a runc without the CVE-2024-21626 fix.
   */
  launcher(name = 'runc'): OciRuntime {
    const rt = this.runtimeFor(name);
    rt.requireLeakFix(this.root);
    return rt;
  }

  /** The supervisor's path (built into `<root>/runtime` when missing). */
  shim(): string {
    return ensureShim(join(this.root, 'runtime'));
  }
}

/**
 * Sends `sig` to a container's processes (all of them for SIGKILL), resuming a paused one
 * so that it can act on it. One that exited meanwhile is what the caller wanted: no error.
 */
export async function signalContainer(runtime: OciRuntime, id: string, sig: string, paused: boolean): Promise<void> {
  try {
    await runtime.kill(id, sig, { all: sig === 'SIGKILL' || sig === 'KILL' || sig === '9' });
  } catch (err) {
    if (!(isStrataError(err, 'not-found') || isStrataError(err, 'failed-precondition'))) throw err;
  }
  if (paused) {
    try {
      await runtime.resume(id);
    } catch { /* gone already */ }
  }
}
