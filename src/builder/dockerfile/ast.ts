/**
 * The typed model of a parsed Dockerfile, as the solver consumes it.
 *
 * Everything here is as written: no variable is expanded yet (see `expand.ts`, which the solver
 * calls with the environment in scope at each step). Every node carries its location and its
 * original text, the logical line after continuation lines are joined, which BuildKit shows in
 * progress output and in error messages.
 */
import type { SourceLocation } from './errors.ts';
import type { Heredoc } from './heredoc.ts';
import type { RunDevice, RunMount } from './run-mount.ts';

export type { SourceLocation } from './errors.ts';
export type { Heredoc } from './heredoc.ts';
export type { RunDevice, RunMount } from './run-mount.ts';

export type EscapeToken = '\\' | '`';

/** A parser directive from the top of the file (`# syntax=…`, `# escape=…`, `# check=…`). */
export interface Directive {
  name: 'syntax' | 'escape' | 'check';
  value: string;
  line: number;
}

/** The parsed `# check=` directive. */
export interface CheckDirective {
  skip: string[];
  skipAll: boolean;
  experimental: string[];
  experimentalAll: boolean;
  /** `error=true`: the build fails when a check warns. */
  error: boolean;
}

/** A build check warning (BuildKit's lint rules that can be decided from the text alone). */
export interface LintWarning {
  rule: string;
  message: string;
  url: string;
  location: SourceLocation;
}

export interface Dockerfile {
  /** The display name the parser was given (`Dockerfile`, or the `-f` path). */
  file: string;
  escapeToken: EscapeToken;
  directives: Directive[];
  /** The `# syntax=` value; strata records it and builds with its own frontend. */
  syntax: string | undefined;
  check: CheckDirective | undefined;
  /** ARG instructions before the first FROM; usable in FROM lines. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  warnings: LintWarning[];
}

export interface Stage {
  /** Position among the stages, from 0: what `COPY --from=<n>` refers to. */
  index: number;
  /** The `AS` name, lower-cased; undefined for an unnamed stage. */
  name: string | undefined;
  /** The image or stage to start from, unexpanded (it may use meta ARGs). */
  baseName: string;
  /** `--platform`, unexpanded; undefined when not given. */
  platform: string | undefined;
  /** The `FROM` keyword as written (its case). */
  keyword: string;
  location: SourceLocation;
  original: string;
  /** The comment lines directly above the FROM. */
  comments: string[];
  /** A `# <name> <description>` comment above a named stage. */
  docComment: string | undefined;
  instructions: Instruction[];
}

interface Base {
  /** The instruction keyword as written (`run`, `Run`, `RUN`). */
  keyword: string;
  location: SourceLocation;
  /** The logical line, trimmed, as BuildKit shows it: `RUN --mount=type=cache,target=/x make`. */
  original: string;
  /** The comment lines directly above the instruction. */
  comments: string[];
}

/** Shell form (`RUN make all`: one string, run with the SHELL) or exec form (`RUN ["make","all"]`). */
export type CommandForm = 'shell' | 'exec';

export interface RunMountFlag {
  /** The `--mount` value as written. */
  spec: string;
  /** The parsed mount when the spec uses no variables; otherwise resolve it with `resolveRunMounts`. */
  parsed: RunMount | undefined;
}

export interface RunInstruction extends Base {
  kind: 'RUN';
  form: CommandForm;
  /** Exec form: the argv. Shell form: one string (or none for a bare `RUN`). */
  command: string[];
  heredocs: Heredoc[];
  mounts: RunMountFlag[];
  network: 'default' | 'none' | 'host';
  security: 'sandbox' | 'insecure';
  devices: RunDevice[];
  /** The flags the line set, by name. */
  flagsUsed: string[];
}

export interface CmdInstruction extends Base {
  kind: 'CMD';
  form: CommandForm;
  command: string[];
}

export interface EntrypointInstruction extends Base {
  kind: 'ENTRYPOINT';
  form: CommandForm;
  command: string[];
}

export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}

/** A `key=value` of ENV or LABEL, unexpanded (quotes and escapes still in). */
export interface KeyValue {
  key: string;
  value: string;
  /** Written in the legacy `ENV key value` form. */
  legacy: boolean;
}

export interface EnvInstruction extends Base {
  kind: 'ENV';
  pairs: KeyValue[];
}

export interface LabelInstruction extends Base {
  kind: 'LABEL';
  pairs: KeyValue[];
}

export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  /** As written, unexpanded, sorted as BuildKit sorts them. */
  ports: string[];
}

export interface ArgDefinition {
  /** The name as written. */
  key: string;
  /** The default, unexpanded; undefined for `ARG name`. */
  value: string | undefined;
  /** A `# <name> <description>` comment above the ARG. */
  docComment: string | undefined;
}

export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDefinition[];
}

/** A heredoc used as a COPY/ADD source: an inline file. */
export interface InlineSource {
  /** The heredoc name, which is the file's name at the destination. */
  name: string;
  /** The file's content, with `<<-` tabs already removed. */
  content: string;
  /** Expand variables in the content (the delimiter was not quoted). */
  expand: boolean;
}

interface CopyBase extends Base {
  /** Source paths (or URLs for ADD), unexpanded. */
  sources: string[];
  /** Heredoc sources. */
  inline: InlineSource[];
  dest: string;
  chown: string | undefined;
  chmod: string | undefined;
  link: boolean;
  excludes: string[];
  /** Written in JSON form (`COPY ["a b", "/dst/"]`). */
  json: boolean;
}

export interface AddInstruction extends CopyBase {
  kind: 'ADD';
  checksum: string | undefined;
  /** `--keep-git-dir`; undefined when not given. */
  keepGitDir: boolean | undefined;
  /** `--unpack`; undefined when not given (local archives are unpacked, URLs are not). */
  unpack: boolean | undefined;
}

export interface CopyInstruction extends CopyBase {
  kind: 'COPY';
  /** `--from`: a stage name, stage index or image reference; undefined for the context. */
  from: string | undefined;
  parents: boolean;
}

export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  volumes: string[];
}

export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}

export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}

export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger as stored in the image config (`RUN echo hi`), heredoc bodies appended. */
  expression: string;
  /** The trigger instruction's keyword, upper-cased. */
  triggerKeyword: string;
  /**
   * The trigger parsed now, or undefined when it does not parse (BuildKit only parses it when
   * a build uses the image; `triggerError` then says why it will fail).
   */
  trigger: Instruction | undefined;
  triggerError: string | undefined;
}

export interface StopsignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  /** `["NONE"]`, `["CMD", argv…]` or `["CMD-SHELL", command]`. */
  test: string[];
  /** Durations in nanoseconds; 0 when not given. */
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  startIntervalNs: number;
  retries: number;
}

export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}

export type Instruction =
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | EnvInstruction
  | LabelInstruction
  | ExposeInstruction
  | ArgInstruction
  | AddInstruction
  | CopyInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];
