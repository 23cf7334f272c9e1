/**
 * Phase two of parsing, as BuildKit's `instructions` package does it: each RawNode becomes a
 * typed instruction, with its flags declared and validated and its arguments counted, with
 * BuildKit's error messages. FROM lines become stage headers.
 */
import { quoteString } from '@strata/go-template';
import type {
  AddInstruction, ArgDefinition, CopyInstruction, HealthcheckInstruction, InlineSource, Instruction, KeyValue,
  RunInstruction, RunMount, RunMountFlag, SourceLocation,
} from './ast.ts';
import { DetailError, DockerfileError, withSuggestion } from './errors.ts';
import { InstructionFlags } from './flags.ts';
import { goTrimSpace, parseGoDuration, parseGoInt32 } from './go-format.ts';
import { chompHeredocContent, parseHeredocWord } from './heredoc.ts';
import type { RawNode } from './line-parser.ts';
import { checkRunMountSyntax, parseRunDevice, parseRunMount } from './run-mount.ts';
import { expandString } from './shell-lex.ts';

/** Every instruction keyword, upper-cased, for "did you mean" suggestions. */
export const INSTRUCTION_NAMES = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;

/** A FROM line: the header of a stage. */
export interface FromHeader {
  kind: 'FROM';
  keyword: string;
  location: SourceLocation;
  original: string;
  comments: string[];
  name: string | undefined;
  /** The AS name as written (before lower-casing), for lint messages. */
  nameAsWritten: string | undefined;
  /** The AS keyword as written. */
  asKeyword: string | undefined;
  baseName: string;
  platform: string | undefined;
  docComment: string | undefined;
}

export interface InstructionContext {
  file: string;
  escapeToken: string;
  /** Re-parses an ONBUILD trigger's text into one instruction (provided by parse.ts). */
  parseTrigger: (expression: string) => Instruction;
  /**
   * Receives errors BuildKit only finds when it dispatches the instruction (an invalid RUN
   * --mount): parse.ts reports them after the whole file parsed, so that every syntax error
   * comes first, as in BuildKit.
   */
  deferError?: (err: DockerfileError) => void;
}

const STAGE_NAME = /^[a-z][a-z0-9\-_.]*$/;

/** Converts one RawNode; throws a DockerfileError at the node's line. */
export function parseInstruction(node: RawNode, ctx: InstructionContext): Instruction | FromHeader {
  const flags = new InstructionFlags(node.flags);
  try {
    return dispatch(node, flags, ctx);
  } catch (err) {
    if (err instanceof DockerfileError) throw err;
    const column = flags.errorFlag !== undefined ? flagColumn(node, flags.errorFlag) : node.column;
    throw new DockerfileError(
      { file: ctx.file, line: node.startLine, column, endLine: node.endLine },
      err instanceof Error ? err.message : String(err),
      { cause: err },
    );
  }
}

function flagColumn(node: RawNode, flag: string): number {
  const text = node.original.trimStart();
  const idx = text.indexOf(flag.split('=')[0] ?? flag);
  return idx >= 0 && idx < node.firstLineLength ? node.column + idx : node.column;
}

function locationOf(node: RawNode, file: string): SourceLocation {
  return { file, line: node.startLine, column: node.column, endLine: node.endLine };
}

function dispatch(node: RawNode, flags: InstructionFlags, ctx: InstructionContext): Instruction | FromHeader {
  const base = {
    keyword: node.keyword,
    location: locationOf(node, ctx.file),
    original: goTrimSpace(node.original),
    comments: node.comments,
  };
  const args = node.args;
  switch (node.keyword.toLowerCase()) {
    case 'env': {
      flags.parse();
      return { ...base, kind: 'ENV', pairs: keyValues(args, 'ENV') };
    }
    case 'label': {
      flags.parse();
      return { ...base, kind: 'LABEL', pairs: keyValues(args, 'LABEL') };
    }
    case 'maintainer': {
      if (args.length !== 1) throw exactlyOne('MAINTAINER');
      flags.parse();
      return { ...base, kind: 'MAINTAINER', maintainer: args[0] ?? '' };
    }
    case 'add':
      return parseAdd(node, flags, base);
    case 'copy':
      return parseCopy(node, flags, base, ctx.escapeToken);
    case 'from':
      return parseFrom(node, flags, base);
    case 'onbuild':
      return parseOnbuild(node, flags, base, ctx);
    case 'workdir': {
      if (args.length !== 1) throw exactlyOne('WORKDIR');
      flags.parse();
      return { ...base, kind: 'WORKDIR', path: args[0] ?? '' };
    }
    case 'run':
      return parseRun(node, flags, base, (err) => {
        const e = new DockerfileError(base.location, err instanceof Error ? err.message : String(err), { cause: err });
        if (ctx.deferError === undefined) throw e;
        ctx.deferError(e);
      });
    case 'cmd': {
      flags.parse();
      return { ...base, kind: 'CMD', form: node.json ? 'exec' : 'shell', command: commandLine(node) };
    }
    case 'entrypoint': {
      flags.parse();
      return { ...base, kind: 'ENTRYPOINT', form: node.json ? 'exec' : 'shell', command: commandLine(node) };
    }
    case 'healthcheck':
      return parseHealthcheck(node, flags, base);
    case 'expose': {
      if (args.length === 0) throw atLeastOne('EXPOSE');
      flags.parse();
      return { ...base, kind: 'EXPOSE', ports: [...args].sort(compareBytes) };
    }
    case 'user': {
      if (args.length !== 1) throw exactlyOne('USER');
      flags.parse();
      return { ...base, kind: 'USER', user: args[0] ?? '' };
    }
    case 'volume': {
      if (args.length === 0) throw atLeastOne('VOLUME');
      flags.parse();
      const volumes = args.map((v) => goTrimSpace(v));
      if (volumes.some((v) => v === '')) throw new DetailError('VOLUME specified can not be an empty string');
      return { ...base, kind: 'VOLUME', volumes };
    }
    case 'stopsignal': {
      // BuildKit never validates STOPSIGNAL's flags.
      if (args.length !== 1) throw exactlyOne('STOPSIGNAL');
      return { ...base, kind: 'STOPSIGNAL', signal: args[0] ?? '' };
    }
    case 'arg':
      return { ...base, kind: 'ARG', args: parseArgs(args, node.comments) };
    case 'shell': {
      flags.parse();
      const shell = commandLine(node);
      if (shell.length === 0) throw atLeastOne('SHELL');
      if (!node.json) throw new DetailError('SHELL requires the arguments to be in JSON form');
      return { ...base, kind: 'SHELL', shell };
    }
  }
  throw new DetailError(withSuggestion(`unknown instruction: ${node.keyword}`, node.keyword, INSTRUCTION_NAMES, false));
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const atLeastOne = (cmd: string): DetailError => new DetailError(`${cmd} requires at least one argument`);
const exactlyOne = (cmd: string): DetailError => new DetailError(`${cmd} requires exactly one argument`);
const noDestination = (cmd: string): DetailError =>
  new DetailError(`${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`);

/** Shell form joins the words into one string; exec form keeps the argv. */
function commandLine(node: RawNode, args: string[] = node.args): string[] {
  if (args.length === 0) return [];
  return node.json ? [...args] : [args.join(' ')];
}

function keyValues(args: string[], cmd: string): KeyValue[] {
  if (args.length === 0) throw atLeastOne(cmd);
  if (args.length % 3 !== 0) throw new DetailError(`Bad input to ${cmd}, too many arguments`);
  const out: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 3) {
    const key = args[i] ?? '';
    if (key === '') throw new DetailError(`${cmd} names can not be blank`);
    out.push({ key, value: args[i + 1] ?? '', legacy: args[i + 2] === '' });
  }
  return out;
}

function docComment(comments: string[], name: string | undefined): string | undefined {
  if (name === undefined || name === '') return undefined;
  for (const line of comments) {
    if (line.startsWith(`${name} `)) return line.slice(name.length + 1);
  }
  return undefined;
}

function parseArgs(args: string[], comments: string[]): ArgDefinition[] {
  if (args.length < 1) throw atLeastOne('ARG');
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq < 0) return { key: arg, value: undefined, docComment: docComment(comments, arg) };
    const key = arg.slice(0, eq);
    if (key === '') throw new DetailError('ARG names can not be blank');
    return { key, value: arg.slice(eq + 1), docComment: docComment(comments, key) };
  });
}

type Base = Pick<Instruction, 'keyword' | 'location' | 'original' | 'comments'>;

function parseFrom(node: RawNode, flags: InstructionFlags, base: Base): FromHeader {
  const args = node.args;
  let name: string | undefined;
  if (args.length === 3 && (args[1] ?? '').toLowerCase() === 'as') {
    name = (args[2] ?? '').toLowerCase();
    if (!STAGE_NAME.test(name)) {
      throw new DetailError(
        `invalid name for build stage: ${quoteString(args[2] ?? '')}, name can't start with a number or contain symbols`,
      );
    }
  } else if (args.length !== 1) {
    throw new DetailError('FROM requires either one or three arguments');
  }
  const platform = flags.string('platform');
  flags.parse();
  return {
    kind: 'FROM',
    ...base,
    name,
    nameAsWritten: name === undefined ? undefined : args[2],
    asKeyword: name === undefined ? undefined : args[1],
    baseName: args[0] ?? '',
    // An empty --platform= counts as not given, as in BuildKit.
    platform: platform() === '' ? undefined : platform(),
    docComment: docComment(node.comments, name),
  };
}

function sourcesAndDest(node: RawNode, cmd: 'ADD' | 'COPY'): { sources: string[]; inline: InlineSource[]; dest: string } {
  const args = node.args;
  const dest = args[args.length - 1] ?? '';
  if (safeHeredocWord(dest) !== undefined) throw new DetailError(`${cmd} cannot accept a heredoc as a destination`);
  const bodies = new Map<string, string>();
  for (const h of node.heredocs) bodies.set(h.name, h.content);
  const sources: string[] = [];
  const inline: InlineSource[] = [];
  for (const src of args.slice(0, -1)) {
    const h = safeHeredocWord(src);
    if (h === undefined) {
      sources.push(src);
      continue;
    }
    let content = bodies.get(h.name) ?? '';
    if (h.chomp) content = chompHeredocContent(content);
    inline.push({ name: h.name, content, expand: h.expand });
  }
  return { sources, inline, dest };
}

/** BuildKit's MustParseHeredoc: a malformed heredoc word is simply not a heredoc. */
function safeHeredocWord(word: string): ReturnType<typeof parseHeredocWord> {
  try {
    return parseHeredocWord(word);
  } catch {
    return undefined;
  }
}

/** BuildKit treats an empty value (`--chown=`) as not given. */
function optional(get: () => string): string | undefined {
  const v = get();
  return v === '' ? undefined : v;
}

function parseAdd(node: RawNode, flags: InstructionFlags, base: Base): AddInstruction {
  if (node.args.length < 2) throw noDestination('ADD');
  const chown = flags.string('chown');
  const chmod = flags.string('chmod');
  const link = flags.bool('link');
  const keepGitDir = flags.bool('keep-git-dir');
  const checksum = flags.string('checksum');
  const unpack = flags.bool('unpack');
  const excludes = flags.strings('exclude');
  flags.parse();
  return {
    ...base,
    kind: 'ADD',
    ...sourcesAndDest(node, 'ADD'),
    chown: optional(chown),
    chmod: optional(chmod),
    link: link(),
    excludes: [...excludes()],
    json: node.json,
    checksum: optional(checksum),
    keepGitDir: flags.isUsed('keep-git-dir') ? keepGitDir() : undefined,
    unpack: flags.isUsed('unpack') ? unpack() : undefined,
  };
}

function parseCopy(node: RawNode, flags: InstructionFlags, base: Base, escapeToken: string): CopyInstruction {
  if (node.args.length < 2) throw noDestination('COPY');
  const chown = flags.string('chown');
  const from = flags.string('from');
  const chmod = flags.string('chmod');
  const link = flags.bool('link');
  const excludes = flags.strings('exclude');
  const parents = flags.bool('parents');
  flags.parse();
  const fromValue = from();
  if (fromValue !== '') {
    // BuildKit refuses anything the lexer would change, not only variables.
    const expanded = expandString(fromValue, () => undefined, { escapeToken }).value;
    if (expanded !== fromValue) {
      throw new DetailError(
        'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
      );
    }
  }
  return {
    ...base,
    kind: 'COPY',
    ...sourcesAndDest(node, 'COPY'),
    from: fromValue === '' ? undefined : fromValue,
    chown: optional(chown),
    chmod: optional(chmod),
    link: link(),
    excludes: [...excludes()],
    json: node.json,
    parents: parents(),
  };
}

function parseRun(node: RawNode, flags: InstructionFlags, base: Base, deferError: (err: unknown) => void): RunInstruction {
  const device = flags.strings('device');
  const mount = flags.strings('mount');
  const network = flags.string('network', 'default');
  const security = flags.string('security', 'sandbox');
  flags.parse();
  const devices = device().map((d) => parseRunDevice(d));
  const mounts: RunMountFlag[] = mount().map((spec) => {
    checkRunMountSyntax(spec);
    // Without variables the mount can be checked now; otherwise it waits for the stage's env.
    let parsed: RunMount | undefined;
    if (!spec.includes('$')) {
      try {
        parsed = parseRunMount(spec);
      } catch (err) {
        deferError(err);
      }
    }
    return { spec, parsed };
  });
  const net = network();
  if (net !== 'default' && net !== 'none' && net !== 'host') throw new DetailError(`invalid network mode ${quoteString(net)}`);
  const sec = security();
  if (sec !== 'sandbox' && sec !== 'insecure') throw new DetailError(`security ${quoteString(sec)} is not valid`);
  return {
    ...base,
    kind: 'RUN',
    form: node.json ? 'exec' : 'shell',
    command: commandLine(node),
    heredocs: node.heredocs.map((h) => ({ ...h })),
    mounts,
    network: net,
    security: sec,
    devices,
    flagsUsed: flags.used(),
  };
}

function parseOnbuild(node: RawNode, flags: InstructionFlags, base: Base, ctx: InstructionContext): Instruction {
  if (node.args.length === 0) throw atLeastOne('ONBUILD');
  flags.parse();
  const trigger = goTrimSpace(node.args[0] ?? '').toUpperCase();
  if (trigger === 'ONBUILD') throw new DetailError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'MAINTAINER' || trigger === 'FROM') {
    throw new DetailError(`${trigger} isn't allowed as an ONBUILD trigger`);
  }
  let expression = node.original.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '');
  for (const h of node.heredocs) expression += `\n${h.content}${h.name}`;
  let parsed: Instruction | undefined;
  let triggerError: string | undefined;
  try {
    // The trigger runs where the ONBUILD was written, so it reports that location.
    parsed = { ...ctx.parseTrigger(expression), location: base.location };
  } catch (err) {
    triggerError = err instanceof DockerfileError ? err.detail : err instanceof Error ? err.message : String(err);
  }
  return { ...base, kind: 'ONBUILD', expression, triggerKeyword: trigger, trigger: parsed, triggerError };
}

function parseHealthcheck(node: RawNode, flags: InstructionFlags, base: Base): HealthcheckInstruction {
  const args = node.args;
  if (args.length === 0) throw atLeastOne('HEALTHCHECK');
  let typ = (args[0] ?? '').toUpperCase();
  const rest = args.slice(1);
  const none: HealthcheckInstruction = {
    ...base, kind: 'HEALTHCHECK', test: ['NONE'], intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0,
    retries: 0,
  };
  if (typ === 'NONE') {
    // BuildKit does not look at the flags of HEALTHCHECK NONE.
    if (rest.length !== 0) throw new DetailError('HEALTHCHECK NONE takes no arguments');
    return none;
  }
  const interval = flags.string('interval');
  const timeout = flags.string('timeout');
  const startPeriod = flags.string('start-period');
  const startInterval = flags.string('start-interval');
  const retries = flags.string('retries');
  flags.parse();
  if (typ !== 'CMD') throw new DetailError(`Unknown type ${quoteString(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = commandLine(node, rest);
  if (cmd.length === 0) throw new DetailError('Missing command after HEALTHCHECK CMD');
  if (!node.json) typ = 'CMD-SHELL';
  const check: HealthcheckInstruction = {
    ...none,
    test: [typ, ...cmd],
    intervalNs: optInterval('interval', interval()),
    timeoutNs: optInterval('timeout', timeout()),
    startPeriodNs: optInterval('start-period', startPeriod()),
    startIntervalNs: optInterval('start-interval', startInterval()),
  };
  const r = retries();
  if (r !== '') {
    const n = parseGoInt32(r);
    if (n < 0) throw new DetailError(`--retries cannot be negative (${n})`);
    check.retries = n;
  }
  return check;
}

function optInterval(name: string, value: string): number {
  if (value === '') return 0;
  const d = parseGoDuration(value);
  if (d === 0n) return 0;
  if (d < 1_000_000n) throw new DetailError(`Interval ${quoteString(name)} cannot be less than 1ms`);
  return Number(d);
}
