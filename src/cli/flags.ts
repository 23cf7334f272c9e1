/**
 * A command's flags, read with docker's (spf13/pflag's) rules: `--flag value`, `--flag=value`,
 * `-f value`, `-fvalue`, `-f=value`, combined short flags (`-it`), `--bool=false`, repeated
 * list flags, `--` ending the flags, and for `run`/`exec` everything from the first argument
 * on passed through untouched. Node's util.parseArgs splits the words into tokens; this
 * module applies pflag's rules to them and words its errors as pflag does.
 *
 * Why not commander: it costs ~8 ms of every command's start-up (a 130 KB chunk), and its
 * rules differ from pflag's (`--rm=false`, `--no-x`), so it needed rewriting around anyway.
 */
import { parseArgs } from 'node:util';
import type { CommandSpec, OptionSpec, Options } from './spec.ts';

/** A flag error in pflag's words; the caller adds the usage lines. */
export class FlagError extends Error {}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function tokenize(spec: CommandSpec, words: string[]): Token[] {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const o of spec.options) {
    options[o.long] = { type: o.type === 'bool' ? 'boolean' : 'string', ...(o.short !== undefined ? { short: o.short } : {}) };
  }
  return parseArgs({ args: words, options, strict: false, allowPositionals: true, tokens: true }).tokens;
}

/** How pflag names a flag in "invalid argument" messages. */
function flagName(o: OptionSpec): string {
  return o.short !== undefined ? `-${o.short}, --${o.long}` : `--${o.long}`;
}

/** The number of leading words that are flags (and their values), for pass-through commands. */
export function flagWords(spec: CommandSpec, words: string[]): number {
  for (const token of tokenize(spec, words)) {
    if (token.kind !== 'option') return token.index;
  }
  return words.length;
}

interface Occurrence {
  option: OptionSpec;
  /** The value given with the flag, if any (`--format x`, `--rm=false`). */
  value: string | undefined;
  /** How the user wrote it, for messages: `--format`, or `'f' in -f`. */
  written: string;
}

/** Reads the tokens into flag occurrences and plain arguments, in order. */
function occurrences(spec: CommandSpec, words: string[]): { found: Occurrence[]; args: string[] } {
  const byLong = new Map(spec.options.map((o) => [o.long, o]));
  const byShort = new Map(spec.options.filter((o) => o.short !== undefined).map((o) => [o.short as string, o]));
  const found: Occurrence[] = [];
  const args: string[] = [];
  let groupIndex = -1;
  let groupPosition = 0;
  for (const token of tokenize(spec, words)) {
    if (token.kind === 'option-terminator') {
      args.push(...words.slice(token.index + 1));
      break;
    }
    if (token.kind === 'positional') {
      if (spec.passThrough) {
        args.push(...words.slice(token.index));
        break;
      }
      args.push(token.value);
      continue;
    }
    const word = words[token.index] as string;
    if (token.rawName.startsWith('--')) {
      const option = byLong.get(token.name);
      if (option === undefined) throw new FlagError(`unknown flag: ${token.rawName}`);
      found.push({ option, value: token.value, written: token.rawName });
      continue;
    }
    // A short flag, alone or in a group (`-it`): parseArgs gives one token per letter.
    if (token.index === groupIndex) groupPosition++;
    else {
      groupIndex = token.index;
      groupPosition = 0;
    }
    const withEquals = /^-([^-])=(.*)$/s.exec(word);
    if (withEquals !== null) {
      // pflag's `-f=value` (and `-a=false`): parseArgs would read `=` as a flag letter.
      if (groupPosition > 0) continue;
      const letter = withEquals[1] as string;
      const option = byShort.get(letter);
      if (option === undefined) throw new FlagError(`unknown shorthand flag: '${letter}' in ${word}`);
      found.push({ option, value: withEquals[2] as string, written: `'${letter}' in -${letter}` });
      continue;
    }
    const letter = token.rawName.slice(1);
    const rest = `-${word.slice(1 + groupPosition)}`;
    const option = byShort.get(letter);
    if (option === undefined) throw new FlagError(`unknown shorthand flag: '${letter}' in ${rest}`);
    found.push({ option, value: token.value, written: `'${letter}' in ${rest}` });
  }
  return { found, args };
}

/** Parses a command's words into its plain arguments and its options, keyed by long name. */
export function parseFlags(spec: CommandSpec, words: string[]): { args: string[]; options: Options } {
  const { found, args } = occurrences(spec, words);
  const bools = new Map<string, boolean>();
  const values = new Map<string, string[]>();
  for (const { option, value, written } of found) {
    if (option.type === 'bool') {
      if (value === undefined || TRUE_WORDS.has(value)) bools.set(option.long, true);
      else if (FALSE_WORDS.has(value)) bools.set(option.long, false);
      else throw new FlagError(`invalid argument "${value}" for "${flagName(option)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
      continue;
    }
    if (value === undefined) throw new FlagError(`flag needs an argument: ${written}`);
    values.set(option.long, [...(values.get(option.long) ?? []), value]);
  }
  const options: Options = {};
  for (const o of spec.options) {
    const given = values.get(o.long);
    const last = given?.[given.length - 1];
    switch (o.type) {
      case 'bool':
        options[o.long] = bools.get(o.long) ?? (o.default as boolean | undefined) ?? false;
        break;
      case 'list':
        options[o.long] = given ?? [];
        break;
      case 'int':
        if (last === undefined) options[o.long] = o.default as number | undefined;
        else if (/^[+-]?\d+$/.test(last)) options[o.long] = Number(last);
        else throw new FlagError(`invalid argument "${last}" for "${flagName(o)}" flag: strconv.ParseInt: parsing "${last}": invalid syntax`);
        break;
      default:
        options[o.long] = last ?? (o.default as string | undefined);
    }
  }
  return { args, options };
}
