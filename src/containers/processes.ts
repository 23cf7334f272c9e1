/** A running container's processes: `exec` (one more in it), `top` (its ps rows), and where its log is. */
import { failedPrecondition } from '../errdefs/index.ts';
import {
  containerFiles, execInContainer, execProcess, readBundleSpec, type ExecInContainerOptions, type ExecOptions, type StartContainerOptions, type StartedContainer,
} from '../runtime/index.ts';
import { rootfsDir, type Container } from './container.ts';
import type { ContainerRuntimes } from './runtimes.ts';
import type { ContainerStatusReader } from './status-reader.ts';

/** `sigProxy: false`: the caller's signals stay its own (the API service's SIGTERM must not reach an exec). */
export type ExecRequest = ExecOptions & {
  detach?: boolean; stdin?: boolean; stdio?: StartContainerOptions['stdio']; sigProxy?: boolean;
  /** The exec's ID for its events (the API's exec ID); the manager makes one when absent. */
  execId?: string;
};

export class ContainerProcesses {
  constructor(
    private readonly runtimes: ContainerRuntimes,
    private readonly states: ContainerStatusReader,
  ) {}

  /**
   * Runs one more process in a running container (`ref` as the user named it, for docker's message).
   * @throws failed-precondition when it doesn't run or is paused; ContainerStartError
   *   (exit 126) when the process can't start.
   */
  async exec(c: Container, ref: string, request: ExecRequest, events?: ExecInContainerOptions['events']): Promise<StartedContainer> {
    const status = await this.states.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    if (status.Paused) throw failedPrecondition(`Container ${ref} is paused, unpause the container before exec`);
    const spec = readBundleSpec(c.dir);
    const processSpec = execProcess(spec, rootfsDir(c), { ...request, availableCapabilities: this.runtimes.host.capabilities });
    return execInContainer({
      runtime: this.runtimes.launcher(c.stored.host.Runtime), id: c.id, containerDir: c.dir, shim: this.runtimes.shim(), process: processSpec,
      ...(request.stdin ? { stdin: true } : {}), ...(request.detach ? { detach: true } : {}), ...(request.stdio ? { stdio: request.stdio } : {}),
      ...(request.sigProxy !== undefined ? { sigProxy: request.sigProxy } : {}),
      ...(events ? { events } : {}),
    });
  }

  /** `top`: ps rows of the container's processes. @throws failed-precondition when it doesn't run. */
  async top(c: Container, psArgs: string[]): Promise<{ titles: string[]; processes: string[][] }> {
    const status = await this.states.status(c);
    if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
    return this.runtimes.runtimeFor(c.stored.host.Runtime).top(c.id, psArgs.length > 0 ? psArgs : ['-ef']);
  }

  /** The json-file log's path. */
  logPath(c: Container): string {
    return containerFiles(c.dir, c.id).log;
  }
}
