/**
 * runc's failures turned into StrataErrors that say what docker says and carry the exit
 * status docker gives them: 126 when the command can't be invoked (permission denied, a
 * directory), 127 when it isn't there (or a mount source/target has the wrong type), 125
 * for anything else (docker/cli's "engine error").
 */
import { StrataError, type ErrorCode } from '../errdefs/index.ts';

/** A container (or exec) that didn't start; `exitStatus` is what `docker run` exits with. */
export class ContainerStartError extends StrataError {
  readonly exitStatus: 125 | 126 | 127;
  /** runc's own message, without docker's prefixes. */
  readonly runtimeMessage: string;

  constructor(code: ErrorCode, message: string, exitStatus: 125 | 126 | 127, runtimeMessage: string) {
    super(code, message);
    this.name = 'ContainerStartError';
    this.exitStatus = exitStatus;
    this.runtimeMessage = runtimeMessage;
  }
}

/**
 * The exit status docker records for a start failure (moby's setExitCodeFromError): 126
 * for EACCES/EISDIR, 127 for not found or ENOTDIR, 128 otherwise. docker/cli exits 126,
 * 127, or 125 for the rest.
 */
export function startFailureStatus(message: string): { recorded: 126 | 127 | 128; cli: 125 | 126 | 127 } {
  const m = message.toLowerCase();
  if (m.includes('permission denied') || m.includes('is a directory')) return { recorded: 126, cli: 126 };
  if (m.includes('not a directory')) return { recorded: 127, cli: 127 };
  if (m.includes('executable file not found') || m.includes('no such file or directory') || m.includes('system cannot find the file specified')) {
    return { recorded: 127, cli: 127 };
  }
  return { recorded: 128, cli: 125 };
}

/**
 * The error for a failed `runc create`/`runc start`, worded as docker 24 words it:
 * `failed to create task for container: failed to create shim task: OCI runtime create
 * failed: runc create failed: unable to start container process: exec: "nope": executable
 * file not found in $PATH: unknown`.
 */
export function containerStartError(runtimeMessage: string, runtimeName = 'runc'): ContainerStartError {
  let detail = runtimeMessage.trim();
  if (detail === '') detail = `${runtimeName} create failed`;
  if (/is a directory/i.test(detail) && !/permission denied/i.test(detail)) detail += ': permission denied';
  if (/not a directory/i.test(detail)) {
    detail += ': Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type';
  }
  const { cli } = startFailureStatus(detail);
  const message = `failed to create task for container: failed to create shim task: OCI runtime create failed: ${detail}: unknown`;
  const code: ErrorCode = cli === 126 ? 'permission-denied' : cli === 127 ? 'not-found' : 'internal';
  return new ContainerStartError(code, message, cli, runtimeMessage);
}

/**
 * The error for a failed `runc exec`, as docker 20.10 words it (`OCI runtime exec failed:
 * exec failed: …: unknown`); docker exits 126 for every exec that doesn't start.
 */
export function execStartError(runtimeMessage: string): ContainerStartError {
  const detail = runtimeMessage.trim() || 'exec failed';
  const { cli } = startFailureStatus(detail);
  const code: ErrorCode = cli === 126 ? 'permission-denied' : cli === 127 ? 'not-found' : 'internal';
  return new ContainerStartError(code, `OCI runtime exec failed: ${detail}: unknown`, 126, runtimeMessage);
}
