/**
 * Turns argv into a command, its arguments and options, with docker's CLI rules: global
 * flags before the command, management groups (`image ls`) and their shortcuts
 * (`images`), `--flag=false` for booleans, repeated list flags, combined short flags, and
 * flags after the first argument passed through for `run`/`exec`. Parsing is commander's;
 * help and error messages are docker's shape.
 */
import { Command, CommanderError, Option } from 'commander';
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

function collect(value: string, previous: string[] | boolean | undefined): string[] {
  // commander gives a `--no-x <value>` list option `true` as its first "previous" value.
  return [...(Array.isArray(previous) ? previous : []), value];
}

function camel(long: string): string {
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

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

/** docker/pflag accept `--bool=false`; commander wants `--no-bool`. Rewrite before parsing. */
function normaliseBooleans(argv: string[], specs: CommandSpec[]): string[] {
  const bools = new Map<string, string>();
  for (const spec of specs) {
    for (const o of spec.options) {
      if (o.type !== 'bool') continue;
      bools.set(`--${o.long}`, o.long);
      if (o.short) bools.set(`-${o.short}`, o.long);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(--?[A-Za-z0-9][\w-]*)=(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.exec(arg);
    const long = m ? bools.get(m[1] as string) : undefined;
    if (m && long !== undefined) {
      const on = /^(true|1|t|TRUE|True)$/.test(m[2] as string);
      out.push(on ? `--${long}` : `--no-${long}`);
    } else out.push(arg);
  }
  return out;
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
    for (const spec of this.specs) for (const p of spec.paths) if (p.length === 1) rows.set(p[0] as string, spec.description);
    const groups = [...this.groups.values()].map((g) => `  ${g.name.padEnd(12)}${g.description}`);
    const commands = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, d]) => `  ${n.padEnd(12)}${d}`);
    return `Usage:  ${PROGRAM} [OPTIONS] COMMAND\n\nA daemonless, Docker-compatible image and container engine\n\nManagement Commands:\n${groups.join('\n')}\n\nCommands:\n${commands.join('\n')}\n\nGlobal Options:\n${GLOBAL_OPTIONS.map((o) => `      ${o.flags.padEnd(28)}${o.description}`).join('\n')}\n\nRun '${PROGRAM} COMMAND --help' for more information on a command.\n`;
  }

  private groupChildren(group: string): { name: string; description: string }[] {
    const out = new Map<string, string>();
    for (const spec of this.specs) for (const p of spec.paths) if (p.length === 2 && p[0] === group) out.set(p[1] as string, spec.description);
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, description]) => ({ name, description }));
  }

  parse(rawArgv: string[]): ParseOutcome {
    const argv = normaliseBooleans(rawArgv, this.specs);
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
    const stopAt = spec.passThrough ? firstPositional(tail, spec) : -1;
    const flagPart = stopAt === -1 ? tail : tail.slice(0, stopAt);
    if (flagPart.includes('--help') || flagPart.includes('-h') && !spec.options.some((o) => o.short === 'h')) {
      return { kind: 'help', text: commandHelp(spec, path) };
    }
    const parsed = this.parseCommand(spec, path, tail);
    const err = argumentError(spec, path, parsed.args.length);
    if (err) throw err;
    return { kind: 'command', command: { spec, path, args: parsed.args, options: parsed.options, globals } };
  }

  private parseCommand(spec: CommandSpec, path: string[], tail: string[]): { args: string[]; options: Options } {
    const cmd = new Command(commandName(path));
    cmd.exitOverride();
    cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    cmd.helpOption(false);
    cmd.allowExcessArguments(true);
    cmd.argument('[args...]');
    if (spec.passThrough) {
      cmd.passThroughOptions();
      const parent = new Command('x');
      parent.enablePositionalOptions();
      parent.addCommand(cmd);
    }
    for (const o of spec.options) {
      const flags = `${o.short ? `-${o.short}, ` : ''}--${o.long}`;
      if (o.type === 'bool' && o.long.startsWith('no-')) {
        cmd.addOption(new Option(flags, o.description));
      } else if (o.type === 'bool') {
        cmd.addOption(new Option(flags, o.description));
        cmd.addOption(new Option(`--no-${o.long}`).hideHelp());
      } else if (o.type === 'list') {
        cmd.addOption(new Option(`${flags} <${o.valueName ?? 'value'}>`, o.description).argParser(collect));
      } else {
        cmd.addOption(new Option(`${flags} <${o.valueName ?? 'value'}>`, o.description));
      }
    }
    try {
      cmd.parse(tail, { from: 'user' });
    } catch (err) {
      if (err instanceof CommanderError) throw this.translate(err, spec, path);
      throw err;
    }
    const raw = cmd.opts() as Record<string, unknown>;
    const options: Options = {};
    for (const o of spec.options) {
      // commander reads `--no-x` as option `x` set to false.
      const negated = o.type === 'bool' && o.long.startsWith('no-');
      // A list or string option named `no-x` (`--no-cache-filter`) is stored by commander as `x`.
      const negatedValue = o.type !== 'bool' && o.long.startsWith('no-');
      const stored = negatedValue ? raw[camel(o.long.slice(3))] : raw[camel(o.long)];
      const value = negated ? (raw[camel(o.long.slice(3))] === false ? true : undefined) : negatedValue && stored === true ? undefined : stored;
      if (o.type === 'bool') options[o.long] = value === undefined ? (o.default as boolean | undefined) ?? false : Boolean(value);
      else if (o.type === 'list') options[o.long] = (value as string[] | undefined) ?? [];
      else if (o.type === 'int') {
        if (value === undefined) options[o.long] = o.default as number | undefined;
        else {
          const n = Number(value);
          if (!Number.isInteger(n)) {
            throw new UsageError(`invalid argument "${String(value)}" for "${o.short ? `-${o.short}, ` : ''}--${o.long}" flag: strconv.ParseInt: parsing "${String(value)}": invalid syntax\n\n${usageLine(spec, path)}\n\nRun '${commandName(path)} --help' for more information`, 125);
          }
          options[o.long] = n;
        }
      } else options[o.long] = (value as string | undefined) ?? (o.default as string | undefined);
    }
    return { args: cmd.args, options };
  }

  private translate(err: CommanderError, spec: CommandSpec, path: string[]): UsageError {
    const usage = `\n\n${usageLine(spec, path)}\n\nRun '${commandName(path)} --help' for more information`;
    const flag = /'([^']+)'/.exec(err.message)?.[1] ?? '';
    switch (err.code) {
      case 'commander.unknownOption':
        return new UsageError(`unknown ${flag.startsWith('--') ? 'flag' : 'shorthand flag'}: ${flag.startsWith('--') ? flag : `'${flag.replace(/^-/, '')}' in ${flag}`}${usage}`, 125);
      case 'commander.optionMissingArgument':
        return new UsageError(`flag needs an argument: ${flag.split(',').pop()?.trim().split(' ')[0] ?? flag}${usage}`, 125);
      default:
        return new UsageError(`${err.message.replace(/^error: /, '')}${usage}`, 125);
    }
  }
}

/** Index of the first non-flag word (flags that take values skip their value). */
function firstPositional(tail: string[], spec: CommandSpec): number {
  const valued = new Set<string>();
  for (const o of spec.options) {
    if (o.type === 'bool') continue;
    valued.add(`--${o.long}`);
    if (o.short) valued.add(`-${o.short}`);
  }
  for (let i = 0; i < tail.length; i++) {
    const arg = tail[i] as string;
    if (arg === '--') return i + 1;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (valued.has(arg)) i++;
    else if (/^-[A-Za-z]+$/.test(arg) && !arg.startsWith('--')) {
      // Combined short flags: the last one may take the next word as its value.
      const last = `-${arg.slice(-1)}`;
      if (valued.has(last)) i++;
    }
  }
  return -1;
}
