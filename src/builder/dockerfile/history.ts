/**
 * What a RUN executes, and the image history (`created_by`) BuildKit writes for each instruction.
 *
 * The strings follow BuildKit's dockerfile2llb (Dockerfile frontend 1.19+):
 *
 *   RUN /bin/sh -c npm ci # buildkit            shell form, the SHELL in effect, args joined by spaces
 *   RUN |1 MODE=prod /bin/sh -c make # buildkit  the stage's declared ARGs prefix the command
 *   RUN echo a b # buildkit                      exec form
 *   COPY --chown=1:1 app.js . # buildkit         sources then `<<name` heredocs, then the destination
 *   WORKDIR /web-ping                            the normalised absolute path
 *   CMD ["node" "/web-ping/app.js"]              Go's %q of the argv (shell form: with the shell)
 *   ENV TARGET=blog.sixeyed.com METHOD=HEAD      expanded pairs
 *   EXPOSE [80/tcp 443/tcp]                      Go's %v of the port keys
 *   HEALTHCHECK {Test:[CMD-SHELL curl -f http://localhost/] Interval:30s Timeout:0s …}
 *
 * Only RUN, COPY and ADD end with ` # buildkit`; ONBUILD writes no history at all.
 * Older frontends wrote `EXPOSE map[80/tcp:{}]` (before 1.18); strata writes the current form.
 */
import type { EscapeToken, HealthcheckInstruction, Instruction, KeyValue, RunInstruction } from './ast.ts';
import { DetailError } from './errors.ts';
import { formatGoDuration, goJoinPath, goQuoteSlice, goSlice } from './go-format.ts';
import { chompHeredocContent, parseHeredocWord } from './heredoc.ts';
import type { EnvSource } from './shell-lex.ts';
import { envLookup, expandString } from './shell-lex.ts';

/** The `comment` BuildKit puts on every history entry of a Dockerfile build. */
export const HISTORY_COMMENT = 'buildkit.dockerfile.v0';

/** The shell used for shell form when no SHELL is in effect. */
export function defaultShell(os = 'linux'): string[] {
  return os === 'windows' ? ['cmd', '/S', '/C'] : ['/bin/sh', '-c'];
}

/** A file BuildKit mounts for a heredoc that starts with `#!`: run as a script. */
export interface RunScript {
  /** The heredoc name, which is the file name inside `dir`. */
  name: string;
  data: string;
  /** The read-only directory the file is mounted in (`/dev/pipes/`). */
  dir: string;
  /** The file's mode (0755). */
  mode: number;
}

export interface RunCommandLine {
  /** The argv the container runs. */
  args: string[];
  /** Set when a `#!` heredoc becomes a script file that `args` executes. */
  script: RunScript | undefined;
  /** The heredoc summary BuildKit appends to the step name: `RUN <<EOF (echo hi...)`. */
  summary: string | undefined;
}

/**
 * The argv of a RUN, as BuildKit builds it: a lone heredoc (`RUN <<EOF`) runs its body with the
 * shell, or as a script when it starts with `#!`; other heredocs are passed inline to the shell;
 * shell form is prefixed with `shell` (the stage's SHELL, else `defaultShell()`).
 * Throws for a malformed command (heredocs in exec form cannot happen from the parser).
 */
export function runCommandLine(run: RunInstruction, shell: readonly string[], os = 'linux'): RunCommandLine {
  let args = [...run.command];
  let script: RunScript | undefined;
  let summary: string | undefined;
  const first = run.heredocs[0];
  if (first !== undefined) {
    if (args.length !== 1 || run.form !== 'shell') {
      throw new DetailError(`parsing produced an invalid run command: ${goSlice(args)}`);
    }
    let lone: ReturnType<typeof parseHeredocWord>;
    try {
      lone = parseHeredocWord(args[0] ?? '');
    } catch {
      lone = undefined;
    }
    if (lone !== undefined) {
      const data = first.chomp ? chompHeredocContent(first.content) : first.content;
      if (os !== 'windows' && data.startsWith('#!')) {
        script = { name: first.name, data, dir: '/dev/pipes/', mode: 0o755 };
        args = [goJoinPath('/dev/pipes/', first.name)];
      } else {
        args = [data];
      }
      summary = summarizeHeredoc(first.content);
    } else {
      let b = args[0] ?? '';
      for (const h of run.heredocs) b += `\n${h.content}${h.name}`;
      args = [b];
    }
  }
  if (run.form === 'shell') args = [...shell, args.join(' ')];
  return { args, script, summary };
}

function summarizeHeredoc(doc: string): string {
  const lines = doc.trim().replaceAll('\r\n', '\n').split('\n');
  return (lines[0] ?? '') + (lines.length > 1 ? '...' : '');
}

/** An ARG the stage declared, with its value then (for the `|N K=V` prefix of RUN history). */
export interface DeclaredArg {
  key: string;
  value: string | undefined;
}

/**
 * `RUN <prefix><argv> # buildkit`. Every declared ARG of the stage (including those inherited
 * from a parent stage) appears as `KEY=value`, the value taken from the environment when set
 * there (an ENV of the same name wins), else the ARG's own; repeated keys appear once.
 */
export function runHistory(args: readonly string[], declared: readonly DeclaredArg[], env: EnvSource): string {
  const lookup = envLookup(env);
  const entries: string[] = [];
  const index = new Map<string, number>();
  for (const a of declared) {
    const v = lookup(a.key) ?? a.value ?? '';
    const entry = `${a.key}=${v}`;
    const at = index.get(a.key);
    if (at !== undefined) entries[at] = entry;
    else {
      index.set(a.key, entries.length);
      entries.push(entry);
    }
  }
  const prefix = entries.length > 0 ? [`|${entries.length}`, ...entries] : [];
  return `RUN ${[...prefix, ...args].join(' ')} # buildkit`;
}

export interface CopyHistoryInput {
  kind: 'COPY' | 'ADD';
  /** Expanded values. */
  sources: readonly string[];
  inlineNames: readonly string[];
  dest: string;
  chown?: string | undefined;
  chmod?: string | undefined;
  parents?: boolean;
}

/** `COPY [--parents] [--chown=…] [--chmod=…] src… <<name… dest # buildkit` (no --from, --link). */
export function copyHistory(c: CopyHistoryInput): string {
  let s = c.kind;
  if (c.parents) s += ' --parents';
  if (c.chown !== undefined && c.chown !== '') s += ` --chown=${c.chown}`;
  if (c.chmod !== undefined && c.chmod !== '') s += ` --chmod=${c.chmod}`;
  for (const src of c.sources) s += ` ${src}`;
  for (const name of c.inlineNames) s += ` <<${name}`;
  return `${s} ${c.dest} # buildkit`;
}

/** `ENV K=V K2=V2` or `LABEL K=V` from expanded pairs. */
export function keyValueHistory(kind: 'ENV' | 'LABEL', pairs: readonly KeyValue[]): string {
  return kind + pairs.map((p) => ` ${p.key}=${p.value}`).join('');
}

/**
 * The absolute working directory after `WORKDIR path` (expanded) from `current`: a relative path
 * joins the current one and is cleaned; an absolute one is kept as written, as BuildKit does.
 */
export function resolveWorkdir(current: string, path: string): string {
  let parent = current === '' ? '/' : current;
  if (!parent.startsWith('/')) parent = goJoinPath('/', parent);
  const p = path === '' ? parent : path;
  return p.startsWith('/') ? p : goJoinPath(parent, p);
}

/** `WORKDIR /abs/path` (no ` # buildkit`, though it adds a layer when the path is not `/`). */
export function workdirHistory(resolved: string): string {
  return `WORKDIR ${resolved}`;
}

/** `CMD ["a" "b"]`: the final argv (shell form already prefixed with the shell). */
export function cmdHistory(args: readonly string[]): string {
  return `CMD ${goQuoteSlice(args)}`;
}

export function entrypointHistory(args: readonly string[]): string {
  return `ENTRYPOINT ${goQuoteSlice(args)}`;
}

/** `EXPOSE [80/tcp 443/tcp]` from the port keys `parseExposedPorts` returns. */
export function exposeHistory(portKeys: readonly string[]): string {
  return `EXPOSE ${goSlice(portKeys)}`;
}

export function userHistory(user: string): string {
  return `USER ${user}`;
}

export function volumeHistory(volumes: readonly string[]): string {
  return `VOLUME ${goSlice(volumes)}`;
}

export function stopsignalHistory(signal: string): string {
  return `STOPSIGNAL ${signal}`;
}

export function shellHistory(shell: readonly string[]): string {
  return `SHELL ${goSlice(shell)}`;
}

export function maintainerHistory(maintainer: string): string {
  return `MAINTAINER ${maintainer}`;
}

/** `HEALTHCHECK {Test:[…] Interval:30s Timeout:0s StartPeriod:0s StartInterval:0s Retries:3}`. */
export function healthcheckHistory(h: Pick<HealthcheckInstruction, 'test' | 'intervalNs' | 'timeoutNs' | 'startPeriodNs' | 'startIntervalNs' | 'retries'>): string {
  const d = (ns: number): string => formatGoDuration(BigInt(ns));
  return `HEALTHCHECK {Test:${goSlice(h.test)} Interval:${d(h.intervalNs)} Timeout:${d(h.timeoutNs)} ` +
    `StartPeriod:${d(h.startPeriodNs)} StartInterval:${d(h.startIntervalNs)} Retries:${h.retries}}`;
}

/** The shell-form argv for CMD/ENTRYPOINT: `[...shell, command]`. */
export function withShell(shell: readonly string[], command: readonly string[]): string[] {
  return [...shell, command.join(' ')];
}

/**
 * The step name BuildKit shows in progress output, without the `[stage n/m]` prefix:
 * the instruction as written with set variables substituted and the keyword upper-cased,
 * `RUN <<EOF (first line...)` for heredocs. Undefined for instructions that are not build steps.
 */
export function stepName(inst: Instruction, env: EnvSource, escapeToken: EscapeToken = '\\'): string | undefined {
  let text = inst.original;
  let raw = false;
  switch (inst.kind) {
    case 'RUN': {
      raw = true;
      const first = inst.heredocs[0];
      if (first !== undefined) {
        let lone;
        try {
          lone = parseHeredocWord(inst.command[0] ?? '');
        } catch {
          lone = undefined;
        }
        if (lone !== undefined && inst.command.length === 1) text += ` (${summarizeHeredoc(first.content)})`;
      }
      break;
    }
    case 'COPY':
    case 'ADD':
    case 'WORKDIR':
      break;
    default:
      return undefined;
  }
  let expanded = text;
  try {
    expanded = expandString(text, env, { escapeToken, rawQuotes: raw, skipUnsetEnv: raw }).value;
  } catch {
    // BuildKit shows the text unexpanded when it does not expand.
  }
  const sp = expanded.indexOf(' ');
  return sp < 0 ? expanded.toUpperCase() : expanded.slice(0, sp).toUpperCase() + expanded.slice(sp);
}
