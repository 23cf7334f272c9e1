/**
 * Build arguments and their scopes, as BuildKit's dockerfile2llb handles them.
 *
 * - The global scope holds the automatic platform args (`BUILDPLATFORM`, `TARGETARCH`, …,
 *   `TARGETSTAGE`), which `--build-arg` may override, plus the meta ARGs declared before the
 *   first FROM (default expanded in the global scope, or the `--build-arg` value). FROM lines
 *   expand in this scope.
 * - A stage sees none of them until it declares them: `ARG NAME` takes the `--build-arg` value,
 *   else the global value; `ARG NAME=default` takes the `--build-arg` value, else the default
 *   expanded in the stage's environment. A declared ARG with a value joins the stage's
 *   environment (RUN sees it; ENV of the same name wins).
 * - A stage built `FROM` another stage inherits that stage's declared ARGs.
 * - The proxy variables are predefined: given as `--build-arg`, RUN gets them (both upper and
 *   lower case) without any ARG, and they stay out of the image history and the cache key.
 */
import type { ArgInstruction, EscapeToken, Stage } from './ast.ts';
import { atLocation, DockerfileError } from './errors.ts';
import type { EnvSource } from './shell-lex.ts';
import { envLookup, expandString } from './shell-lex.ts';

/** The proxy build args that RUN receives without an ARG declaration. */
export const PREDEFINED_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

/** ARGs that never enter a stage's environment (BuildKit's SBOM scan switches). */
const NON_ENV_ARGS = new Set(['BUILDKIT_SBOM_SCAN_CONTEXT', 'BUILDKIT_SBOM_SCAN_STAGE']);

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
}

/** containerd's platforms.Format: `linux/arm64/v8`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

/** containerd's platforms.FormatAll: like formatPlatform, with `(osversion)` after the OS. */
export function formatPlatformAll(p: Platform): string {
  const os = p.osVersion !== undefined && p.osVersion !== '' ? `${p.os}(${p.osVersion})` : p.os;
  return formatPlatform({ ...p, os });
}

export interface AutomaticArgsOptions {
  buildPlatform: Platform;
  targetPlatform: Platform;
  /** The target stage's name (`--target`, else the last stage's name); `default` when empty. */
  targetStage?: string;
  /** `--build-arg` values, which override the automatic ones. */
  buildArgs?: ReadonlyMap<string, string>;
}

/** The automatic platform args in BuildKit's order. */
export function automaticArgs(opts: AutomaticArgsOptions): Map<string, string> {
  const bp = opts.buildPlatform;
  const tp = opts.targetPlatform;
  const target = opts.targetStage === undefined || opts.targetStage === '' ? 'default' : opts.targetStage;
  const pairs: [string, string][] = [
    ['BUILDPLATFORM', formatPlatform(bp)],
    ['BUILDOS', bp.os],
    ['BUILDOSVERSION', bp.osVersion ?? ''],
    ['BUILDARCH', bp.architecture],
    ['BUILDVARIANT', bp.variant ?? ''],
    ['TARGETPLATFORM', formatPlatformAll(tp)],
    ['TARGETOS', tp.os],
    ['TARGETOSVERSION', tp.osVersion ?? ''],
    ['TARGETARCH', tp.architecture],
    ['TARGETVARIANT', tp.variant ?? ''],
    ['TARGETSTAGE', target],
  ];
  const out = new Map<string, string>();
  for (const [k, v] of pairs) out.set(k, opts.buildArgs?.get(k) ?? v);
  return out;
}

export interface GlobalScope {
  /** Every global arg with a value: the automatic ones and the meta ARGs. */
  args: Map<string, string>;
  /** The variables each meta ARG's default used (for cache explanations and lint). */
  dependencies: Map<string, string[]>;
}

/**
 * The global scope: automatic args, then each meta ARG in order. Throws a DockerfileError at
 * the ARG when a default does not expand (`${X:?}`).
 */
export function resolveGlobalScope(
  metaArgs: readonly ArgInstruction[],
  automatic: ReadonlyMap<string, string>,
  buildArgs: ReadonlyMap<string, string>,
  escapeToken: EscapeToken = '\\',
): GlobalScope {
  const args = new Map(automatic);
  const dependencies = new Map<string, string[]>();
  for (const inst of metaArgs) {
    for (const def of inst.args) {
      let value: string | undefined;
      const given = buildArgs.get(def.key);
      if (given !== undefined) {
        value = given;
      } else if (def.value !== undefined) {
        try {
          const r = expandString(def.value, args, { escapeToken });
          value = r.value;
          dependencies.set(def.key, r.used.filter((k) => k !== def.key));
        } catch (err) {
          throw atLocation(err, inst.location);
        }
      }
      if (value !== undefined) args.set(def.key, value);
    }
  }
  return { args, dependencies };
}

/** What one name of an ARG instruction resolved to in a stage. */
export interface ResolvedArg {
  key: string;
  /** undefined for `ARG NAME` with no build-arg, no global value. */
  value: string | undefined;
  source: 'build-arg' | 'default' | 'global' | 'none';
  /** Whether the value joins the stage's environment (a value, and not an SBOM switch). */
  setsEnv: boolean;
  /** Variables the default read while expanding. */
  used: string[];
}

export interface StageArgContext {
  /** The stage's environment before this ARG (image env, earlier ARGs and ENVs). */
  env: EnvSource;
  buildArgs: ReadonlyMap<string, string>;
  globalArgs: ReadonlyMap<string, string>;
  escapeToken?: EscapeToken;
}

/**
 * Resolves an ARG inside a stage. Names resolve left to right, each seeing the ones before
 * (`ARG A=1 B=$A`). The caller adds every `setsEnv` value to the stage's environment and
 * appends every result (with or without a value) to the stage's declared args, which
 * `runHistory` needs. Throws a DockerfileError at the ARG when a default does not expand.
 */
export function resolveStageArg(inst: ArgInstruction, ctx: StageArgContext): ResolvedArg[] {
  const base = envLookup(ctx.env);
  const local = new Map<string, string>();
  const lookup = (name: string): string | undefined => local.get(name) ?? base(name);
  const out: ResolvedArg[] = [];
  for (const def of inst.args) {
    let value: string | undefined;
    let source: ResolvedArg['source'] = 'none';
    let used: string[] = [];
    const given = ctx.buildArgs.get(def.key);
    if (given !== undefined) {
      value = given;
      source = 'build-arg';
    } else if (def.value !== undefined) {
      try {
        const r = expandString(def.value, lookup, { escapeToken: ctx.escapeToken ?? '\\' });
        value = r.value;
        used = r.used;
      } catch (err) {
        throw atLocation(err, inst.location);
      }
      source = 'default';
    } else if (ctx.globalArgs.has(def.key)) {
      value = ctx.globalArgs.get(def.key);
      source = 'global';
    }
    const setsEnv = value !== undefined && !NON_ENV_ARGS.has(def.key);
    if (setsEnv && value !== undefined) local.set(def.key, value);
    out.push({ key: def.key, value, source, setsEnv, used });
  }
  return out;
}

/** The `ARG …` history line BuildKit writes for a resolved ARG instruction. */
export function argHistory(resolved: readonly ResolvedArg[]): string {
  return `ARG ${resolved.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`;
}

/**
 * The proxy environment RUN gets from `--build-arg`s (names matched case-insensitively, in
 * sorted order so `http_proxy` wins over `HTTP_PROXY`), as `NAME=value` entries in both cases.
 */
export function proxyEnv(buildArgs: ReadonlyMap<string, string>): string[] {
  const found = new Map<string, string>();
  for (const k of [...buildArgs.keys()].sort()) {
    const lower = k.toLowerCase();
    if (['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy'].includes(lower)) {
      found.set(lower, buildArgs.get(k) ?? '');
    }
  }
  const out: string[] = [];
  for (const name of ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy']) {
    const v = found.get(name);
    if (v !== undefined && v !== '') out.push(`${name.toUpperCase()}=${v}`, `${name}=${v}`);
  }
  return out;
}

/** A stage's base after expansion in the global scope, with the variables it used. */
export interface ResolvedBase {
  baseName: string;
  platform: string | undefined;
  used: string[];
}

/**
 * Expands a stage's FROM in the global scope. Throws a DockerfileError at the FROM for an
 * expansion error, a blank result (`base name (${X}) should not be blank`) or an empty platform.
 */
export function resolveStageBase(stage: Stage, globalArgs: ReadonlyMap<string, string>, escapeToken: EscapeToken = '\\'): ResolvedBase {
  let name;
  try {
    name = expandString(stage.baseName, globalArgs, { escapeToken });
  } catch (err) {
    throw atLocation(err, stage.location);
  }
  if (name.value === '') {
    throw new DockerfileError(stage.location, `base name (${stage.baseName}) should not be blank`);
  }
  const used = [...name.used];
  let platform: string | undefined;
  if (stage.platform !== undefined) {
    let p;
    try {
      p = expandString(stage.platform, globalArgs, { escapeToken });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DockerfileError(stage.location, `failed to process arguments for platform : ${why}`);
    }
    if (p.value === '') {
      throw new DockerfileError(stage.location, `empty platform value from expression ${stage.platform}`);
    }
    platform = p.value;
    for (const u of p.used) if (!used.includes(u)) used.push(u);
  }
  return { baseName: name.value, platform, used };
}
