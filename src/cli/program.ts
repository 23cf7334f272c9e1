/**
 * Turns argv into a command, its arguments and options, with docker's CLI rules: global
 * flags before the command, management groups (`image ls`) and their shortcuts
 * (`images`), `--flag=false` for booleans, repeated list flags, combined short flags, and
 * flags after the first argument passed through for `run`/`exec`. Flags are parsed by
 * flags.ts; help and error messages are docker's shape.
 */
import { FlagError, flagWords, parseFlags } from './flags.ts';
import { commandHelp, commandName, groupHelp, PROGRAM, usageLine } from './help.ts';
import { UsageError } from './errors.ts';
import type { CommandSpec, GroupSpec, Options } from './spec.ts';

export interface ParsedCommand {
  spec: CommandSpec;
  path: string[];
  args: string[];
  options: Options;
  globals: { root?: string; storageDriver?: string; debug: boolean; version: boolean };
}

export type ParseOutcome = { kind: 'command'; command: ParsedCommand } | { kind: 'help'; text: string } | { kind: 'version' };

const GLOBAL_OPTIONS = [
  { flags: '--root <dir>', description: 'Root of the strata store (default "/var/lib/strata", or $STRATA_ROOT)' },
  { flags: '-s, --storage-driver <name>', description: 'Storage driver: overlay (default) or native (or $STRATA_STORAGE_DRIVER)' },
  { flags: '-D, --debug', description: 'Enable debug mode' },
  { flags: '-l, --log-level <string>', description: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")' },
  { flags: '-v, --version', description: 'Print version information and quit' },
];

function argumentError(spec: CommandSpec, path: string[], count: number): UsageError | undefined {
  const name = `"${commandName(path)}"`;
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  let message: string | undefined;
  if (spec.exactArgs !== undefined && count !== spec.exactArgs) message = `${PROGRAM}: ${name} requires ${spec.exactArgs === 0 ? 'no arguments' : `exactly ${plural(spec.exactArgs)}`}`;
  else if (spec.minArgs !== undefined && count < spec.minArgs) message = `${PROGRAM}: ${name} requires at least ${plural(spec.minArgs)}`;
  else if (spec.maxArgs !== undefined && count > spec.maxArgs) message = spec.maxArgs === 0 ? `${PROGRAM}: ${name} accepts no arguments` : `${PROGRAM}: ${name} requires at most ${plural(spec.maxArgs)}`;
  if (message === undefined) return undefined;
  return new UsageError(`${message}\n\n${usageLine(spec, path)}\n\nRun '${commandName(path)} --help' for more information`, 1);
}

/** cobra's Short: a listing shows a description's first line (`login`'s long one says more). */
function shortDescription(description: string): string {
  const newline = description.indexOf('\n');
  return newline < 0 ? description : description.slice(0, newline).replace(/\.$/, '');
}

export class CommandTable {
  private readonly groups = new Map<string, GroupSpec>();

  constructor(
    readonly specs: CommandSpec[],
    groups: GroupSpec[],
  ) {
    for (const g of groups) this.groups.set(g.name, g);
  }

  /** Finds the command a path of words names, longest match first. */
  private find(words: string[]): { spec: CommandSpec; path: string[] } | undefined {
    for (const spec of this.specs) {
      for (const path of spec.paths) {
        if (path.length <= words.length && path.every((p, i) => words[i] === p)) return { spec, path };
      }
    }
    return undefined;
  }

  topLevelHelp(): string {
    const rows = new Map<string, string>();
    for (const spec of this.specs) for (const p of spec.paths) if (p.length === 1) rows.set(p[0] as string, shortDescription(spec.description));
    const groups = [...this.groups.values()].map((g) => `  ${g.name.padEnd(12)}${g.description}`);
    const commands = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, d]) => `  ${n.padEnd(12)}${d}`);
    return `Usage:  ${PROGRAM} [OPTIONS] COMMAND\n\nA daemonless, Docker-compatible image and container engine\n\nManagement Commands:\n${groups.join('\n')}\n\nCommands:\n${commands.join('\n')}\n\nGlobal Options:\n${GLOBAL_OPTIONS.map((o) => `      ${o.flags.padEnd(28)}${o.description}`).join('\n')}\n\nRun '${PROGRAM} COMMAND --help' for more information on a command.\n`;
  }

  private groupChildren(group: string): { name: string; description: string }[] {
    const out = new Map<string, string>();
    for (const spec of this.specs) for (const p of spec.paths) if (p.length === 2 && p[0] === group) out.set(p[1] as string, shortDescription(spec.description));
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, description]) => ({ name, description }));
  }

  parse(argv: string[]): ParseOutcome {
    // Global flags come first; the first word that isn't one starts the command.
    const globals = { root: undefined as string | undefined, storageDriver: undefined as string | undefined, debug: false, version: false };
    let i = 0;
    for (; i < argv.length; i++) {
      const arg = argv[i] as string;
      if (arg === '--root') globals.root = argv[++i];
      else if (arg.startsWith('--root=')) globals.root = arg.slice(7);
      else if (arg === '-s' || arg === '--storage-driver') globals.storageDriver = argv[++i];
      else if (arg.startsWith('--storage-driver=')) globals.storageDriver = arg.slice(17);
      else if (arg === '-D' || arg === '--debug') globals.debug = true;
      else if (arg === '-l' || arg === '--log-level') i++;
      else if (arg.startsWith('--log-level=')) continue;
      else if (arg === '-v' || arg === '--version') globals.version = true;
      else if (arg === '-h' || arg === '--help') return { kind: 'help', text: this.topLevelHelp() };
      else if (arg.startsWith('-')) throw new UsageError(`unknown flag: ${arg.replace(/=.*/, '')}\nSee '${PROGRAM} --help'.`, 125, false);
      else break;
    }
    if (globals.root === '' && argv.includes('--root')) throw new UsageError(`flag needs an argument: --root`, 125);
    const rest = argv.slice(i);
    if (rest.length === 0) {
      if (globals.version) return { kind: 'version' };
      return { kind: 'help', text: this.topLevelHelp() };
    }
    const words: string[] = [];
    for (const w of rest) {
      if (w.startsWith('-')) break;
      words.push(w);
      if (words.length === 2) break;
    }
    const found = this.find(words);
    if (!found) {
      const group = this.groups.get(words[0] ?? '');
      if (group) {
        const next = rest[1];
        if (next === undefined || next === '--help' || next === '-h') return { kind: 'help', text: groupHelp(group, this.groupChildren(group.name)) };
        throw new UsageError(`${PROGRAM}: unknown command: ${PROGRAM} ${group.name} ${next}\n\nUsage:  ${PROGRAM} ${group.name} COMMAND\n\nRun '${PROGRAM} ${group.name} --help' for more information`, 1);
      }
      throw new UsageError(`${PROGRAM}: unknown command: ${PROGRAM} ${words[0] ?? rest[0]}\n\nRun '${PROGRAM} --help' for more information`, 1);
    }
    const { spec, path } = found;
    const tail = rest.slice(path.length);
    const flagPart = spec.passThrough ? tail.slice(0, flagWords(spec, tail)) : tail;
    if (flagPart.includes('--help') || flagPart.includes('-h') && !spec.options.some((o) => o.short === 'h')) {
      return { kind: 'help', text: commandHelp(spec, path) };
    }
    const parsed = this.parseCommand(spec, path, tail);
    const err = argumentError(spec, path, parsed.args.length);
    if (err) throw err;
    return { kind: 'command', command: { spec, path, args: parsed.args, options: parsed.options, globals } };
  }

  private parseCommand(spec: CommandSpec, path: string[], tail: string[]): { args: string[]; options: Options } {
    try {
      return parseFlags(spec, tail);
    } catch (err) {
      if (err instanceof FlagError) throw new UsageError(`${err.message}\n\n${usageLine(spec, path)}\n\nRun '${commandName(path)} --help' for more information`, 125);
      throw err;
    }
  }
}
