/** What the CLI hands a container's supervisor to run when the container exits. */
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';

/**
 * For a `--rm` container: this same CLI, `rm -v -f ID`, against the same store (run by a
 * detached container's supervisor, or a foreground one's whose `strata run` was killed).
 * Empty when the CLI's own script path is unknown (then the next command cleans up).
 */
export function removeCommandFor(ctx: CliContext, id: string): string[] {
  const script = process.argv[1];
  if (script === undefined) return [];
  return [
    process.execPath, ...process.execArgv, script, '--root', resolve(ctx.globals.root),
    ...(ctx.globals.storageDriver ? ['--storage-driver', ctx.globals.storageDriver] : []), 'rm', '-v', '-f', id,
  ];
}
