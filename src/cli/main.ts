/**
 * strata's CLI entry point. Kept small: `--version` answers before anything else loads,
 * and each command's implementation is imported only when it runs.
 */
import { resolve } from 'node:path';
import { invalidArgument } from '../errdefs/index.ts';
// Loaded first: it takes its variables out of the environment before any child can inherit them.
import { crashPlanError } from '../internal/crash-point.ts';
import { CliContext } from './context.ts';
import { reportError } from './errors.ts';
import { interruptedStatus } from './interrupt.ts';

export const VERSION = '0.1.0';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`strata version ${VERSION}\n`);
    return 0;
  }
  const debug = argv.includes('-D') || argv.includes('--debug');
  let ctx: CliContext | undefined;
  let errorExitCode = 1;
  try {
    const { CommandTable } = await import('./program.ts');
    const { COMMANDS, GROUPS } = await import('./command-table.ts');
    const outcome = new CommandTable(COMMANDS, GROUPS).parse(argv);
    if (outcome.kind === 'help') {
      process.stdout.write(outcome.text);
      return 0;
    }
    if (outcome.kind === 'version') {
      process.stdout.write(`strata version ${VERSION}\n`);
      return 0;
    }
    const { command } = outcome;
    if (crashPlanError !== undefined) throw invalidArgument(crashPlanError);
    errorExitCode = command.spec.errorExitCode ?? 1;
    const root = command.globals.root ?? process.env['STRATA_ROOT'] ?? '/var/lib/strata';
    ctx = new CliContext({ root, debug, storageDriver: command.globals.storageDriver }, ['strata', ...command.path].join(' '));
    const handler = await command.spec.load();
    const code = await handler(ctx, command.args, command.options);
    return code ?? 0;
  } catch (err) {
    // A command the user stopped fails quietly, as docker's does: whatever it ran into on
    // the way out (a helper killed by the same Ctrl-C) is no news to them.
    const interrupted = interruptedStatus();
    if (interrupted !== undefined) return interrupted;
    return reportError(err, process.stderr, debug, errorExitCode, ctx ? resolve(ctx.globals.root, 'metadata.db') : undefined);
  } finally {
    ctx?.close();
  }
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

void main(process.argv.slice(2)).then((code) => {
  // Let pending writes flush; exit explicitly so stray handles (stdin) don't keep us alive.
  process.exitCode = code;
  // After Ctrl-C nobody may be reading stdout any more: don't wait for it to drain.
  if (process.stdout.writableNeedDrain && interruptedStatus() === undefined) process.stdout.once('drain', () => process.exit(code));
  else process.exit(code);
});
