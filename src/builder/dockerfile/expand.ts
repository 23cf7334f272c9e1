/**
 * Variable expansion of instructions, exactly where BuildKit applies it.
 *
 * Expanded: ADD and COPY (sources, destination, --chown, --chmod, ADD --checksum, and heredoc
 * bodies whose delimiter was not quoted), ENV and LABEL (keys and values), EXPOSE (with word
 * splitting), STOPSIGNAL, USER, VOLUME, WORKDIR, and RUN's --mount options. ARG defaults and
 * FROM lines have their own scopes (see args.ts). Never expanded: RUN, CMD, ENTRYPOINT and
 * HEALTHCHECK commands (the shell does that at run time), SHELL, MAINTAINER, ONBUILD,
 * COPY --from (variables are rejected at parse time) and --exclude patterns.
 */
import type { EscapeToken, Instruction, RunInstruction, RunMount } from './ast.ts';
import { atLocation } from './errors.ts';
import { parseRunMount } from './run-mount.ts';
import type { EnvSource, Expansion } from './shell-lex.ts';
import { envLookup, expandString, expandWords } from './shell-lex.ts';

export interface Expanded<T extends Instruction> {
  /** A copy of the instruction with every expandable field expanded. */
  instruction: T;
  /** Variables read that were set, in first-use order (the cache keys on these). */
  used: string[];
  /** Variables read that were not set (BuildKit's UndefinedVar check reports these). */
  unset: string[];
}

export interface ExpandOptions {
  /** The Dockerfile's escape character (`Dockerfile.escapeToken`). */
  escapeToken?: EscapeToken;
}

/**
 * Expands `inst` in `env`, the stage's environment at that step (image env, ARG values in scope,
 * ENV so far). Instructions without expansion come back unchanged. Throws a DockerfileError at
 * the instruction for a failed expansion (`failed to process "${X:?}": X: is not allowed to be
 * unset`) or an invalid RUN --mount after expansion.
 */
export function expandInstruction<T extends Instruction>(inst: T, env: EnvSource, options: ExpandOptions = {}): Expanded<T> {
  const lookup = envLookup(env);
  const escapeToken = options.escapeToken ?? '\\';
  const used: string[] = [];
  const unset: string[] = [];
  const note = (r: Pick<Expansion, 'used' | 'unset'>): void => {
    for (const u of r.used) if (!used.includes(u)) used.push(u);
    for (const u of r.unset) if (!unset.includes(u)) unset.push(u);
  };
  const word = (text: string): string => {
    const r = expandString(text, lookup, { escapeToken });
    note(r);
    return r.value;
  };
  const opt = (text: string | undefined): string | undefined => (text === undefined ? undefined : word(text));
  // Heredoc bodies: BuildKit lexes them with `\` and leaves quotes alone.
  const body = (text: string): string => {
    const r = expandString(text, lookup, { escapeToken: '\\', skipProcessQuotes: true });
    note(r);
    return r.value;
  };

  let out: Instruction;
  try {
    switch (inst.kind) {
      case 'ENV':
      case 'LABEL':
        out = { ...inst, pairs: inst.pairs.map((p) => ({ ...p, key: word(p.key), value: word(p.value) })) };
        break;
      case 'ADD':
        out = {
          ...inst,
          chown: opt(inst.chown),
          chmod: opt(inst.chmod),
          checksum: opt(inst.checksum),
          sources: inst.sources.map(word),
          dest: word(inst.dest),
          inline: inst.inline.map((s) => (s.expand ? { ...s, content: body(s.content) } : { ...s })),
        };
        break;
      case 'COPY':
        out = {
          ...inst,
          chown: opt(inst.chown),
          chmod: opt(inst.chmod),
          sources: inst.sources.map(word),
          dest: word(inst.dest),
          inline: inst.inline.map((s) => (s.expand ? { ...s, content: body(s.content) } : { ...s })),
        };
        break;
      case 'EXPOSE': {
        const ports: string[] = [];
        for (const p of inst.ports) {
          const r = expandWords(p, lookup, { escapeToken });
          note(r);
          ports.push(...r.words);
        }
        out = { ...inst, ports };
        break;
      }
      case 'VOLUME':
        out = { ...inst, volumes: inst.volumes.map(word) };
        break;
      case 'WORKDIR':
        out = { ...inst, path: word(inst.path) };
        break;
      case 'USER':
        out = { ...inst, user: word(inst.user) };
        break;
      case 'STOPSIGNAL':
        out = { ...inst, signal: word(inst.signal) };
        break;
      case 'RUN': {
        const mounts = inst.mounts.map((m) => ({ spec: m.spec, parsed: parseRunMount(m.spec, word) }));
        out = { ...inst, mounts };
        break;
      }
      default:
        out = inst;
    }
  } catch (err) {
    throw atLocation(err, inst.location);
  }
  return { instruction: out as T, used, unset };
}

/** A RUN's mounts, expanded in `env` and fully validated. Throws a DockerfileError at the RUN. */
export function resolveRunMounts(run: RunInstruction, env: EnvSource, options: ExpandOptions = {}): RunMount[] {
  const expanded = expandInstruction(run, env, options).instruction;
  return expanded.mounts.map((m) => m.parsed).filter((m): m is RunMount => m !== undefined);
}
