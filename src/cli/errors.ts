/**
 * How errors reach the user: one line on stderr (`Error: …`, plus a hint line when the
 * error has one), and an exit status as docker's CLI gives it.
 */
import { fromUntranslatedError, StrataError } from '../errdefs/index.ts';

/** A usage error found while parsing (unknown flag, wrong argument count): docker exits 125 for flags, 1 for the rest. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Print the command's usage line after the message, as cobra does. */
    readonly showUsage = true,
  ) {
    super(message);
  }
}

/**
 * Prints an error and returns the exit status to use. A system error no module translated
 * (a full disk, a missing directory) is still one the user can act on: it is named by its
 * call and path, never reported as an internal error. `databasePath` names the store's
 * metadata.db when SQLite finds the disk full.
 */
export function reportError(err: unknown, stderr: NodeJS.WriteStream, debug: boolean, errorExitCode = 1, databasePath?: string): number {
  if (!(err instanceof StrataError) && !(err instanceof UsageError)) err = fromUntranslatedError(err, databasePath) ?? err;
  if (err instanceof StrataError) {
    // docker prints template errors bare; everything else the engine reports gets "Error:".
    stderr.write(err.message.startsWith('template parsing error') ? `${err.message}\n` : `Error: ${err.message}\n`);
    if (err.hint) stderr.write(`Hint: ${err.hint}\n`);
    if (debug && err.cause instanceof Error && err.cause.stack) stderr.write(`${err.cause.stack}\n`);
    return err.code === 'canceled' ? 130 : errorExitCode;
  }
  if (err instanceof UsageError) {
    stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return 0;
  const text = err instanceof Error ? (debug ? err.stack ?? err.message : err.message) : String(err);
  stderr.write(`Error: internal error: ${text}\n`);
  if (!debug) stderr.write('Hint: run with --debug for details, and report it if it persists\n');
  return errorExitCode === 1 ? 1 : errorExitCode;
}
