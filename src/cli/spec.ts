/**
 * Commands are described as data (docker's usage line, flags, argument counts) and
 * registered under every name docker gives them (`images`, `image ls`, `image list`).
 * The implementation of each is imported only when it runs, so start-up stays cheap.
 */
import type { CliContext } from './context.ts';

export type OptionType = 'bool' | 'string' | 'list' | 'int';

export interface OptionSpec {
  /** Long name without dashes: `all`. */
  long: string;
  /** Single-letter short name: `a`. */
  short?: string;
  type: OptionType;
  /** What docker's help shows after the flag: `string`, `filter`, `list`. */
  valueName?: string;
  description: string;
  /** Default for bool (true/false) and string/int options. */
  default?: boolean | string | number;
  hidden?: boolean;
}

export type Options = Record<string, boolean | string | string[] | number | undefined>;

export interface CommandSpec {
  /** Paths that run this command: `[['image', 'ls'], ['images']]`. The first is its name in help. */
  paths: string[][];
  /** docker's usage after the command name: `[OPTIONS] [REPOSITORY[:TAG]]`. */
  usage: string;
  description: string;
  minArgs?: number;
  maxArgs?: number;
  /** Exact count, if any; docker says "requires exactly N arguments". */
  exactArgs?: number;
  options: OptionSpec[];
  /** Flags after the first argument belong to the argument list (run, exec). */
  passThrough?: boolean;
  /** Exit status for engine errors (docker run uses 125). */
  errorExitCode?: number;
  load: () => Promise<CommandHandler>;
}

/** Runs a command; returns its exit code (0 when omitted). */
export type CommandHandler = (ctx: CliContext, args: string[], options: Options) => Promise<number | void>;

export interface GroupSpec {
  name: string;
  description: string;
}

export const FORMAT_HELP = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

export const FORMAT_HELP_INSPECT = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;
