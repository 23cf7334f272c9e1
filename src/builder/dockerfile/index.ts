/**
 * The Dockerfile frontend: parse a Dockerfile into a typed model, and the helpers the solver
 * needs to execute it as BuildKit would (variable expansion, ARG scopes, RUN argv, history).
 *
 *   const df = parseDockerfile(text, { file: 'Dockerfile' });
 *   const scope = resolveGlobalScope(df.metaArgs, automaticArgs({...}), buildArgs, df.escapeToken);
 *   for each stage: resolveStageBase(stage, scope.args, df.escapeToken), then per instruction
 *   expandInstruction(inst, env, { escapeToken: df.escapeToken }) and the *History helpers.
 */
export type * from './ast.ts';
export { DetailError, DockerfileError, isDockerfileError } from './errors.ts';
export type { DockerfileErrorLocation } from './errors.ts';
export { parseDockerfile, parseTrigger, parseCheckDirective } from './parse.ts';
export type { ParseOptions } from './parse.ts';
export { expandString, expandWords, envLookup } from './shell-lex.ts';
export type { EnvSource, Expansion, LexOptions, WordsExpansion } from './shell-lex.ts';
export { expandInstruction, resolveRunMounts } from './expand.ts';
export type { Expanded, ExpandOptions } from './expand.ts';
export {
  PREDEFINED_ARGS, argHistory, automaticArgs, formatPlatform, formatPlatformAll, proxyEnv, resolveGlobalScope,
  resolveStageArg, resolveStageBase,
} from './args.ts';
export type { AutomaticArgsOptions, GlobalScope, Platform, ResolvedArg, ResolvedBase, StageArgContext } from './args.ts';
export {
  HISTORY_COMMENT, cmdHistory, copyHistory, defaultShell, entrypointHistory, exposeHistory, healthcheckHistory,
  keyValueHistory, maintainerHistory, resolveWorkdir, runCommandLine, runHistory, shellHistory, stepName,
  stopsignalHistory, userHistory, volumeHistory, withShell, workdirHistory,
} from './history.ts';
export type { CopyHistoryInput, DeclaredArg, RunCommandLine, RunScript } from './history.ts';
export { parseChmod } from './chmod.ts';
export type { ChmodSpec } from './chmod.ts';
export { parseExposedPorts } from './ports.ts';
export { applyMetadataInstruction, isMetadataInstruction, withEnv } from './image-metadata.ts';
export type { MetadataInstruction, MetadataScope } from './image-metadata.ts';
export { parseSignal } from './signal.ts';
export { parseRunMount, parseRunDevice, ramInBytes } from './run-mount.ts';
export { chompHeredocContent, parseHeredocWord } from './heredoc.ts';
export { goCleanPath, goJoinPath } from './go-format.ts';

/** BuildKit's message when a RUN uses --device, which needs the labs frontend. */
export const DEVICE_UNSUPPORTED = 'device feature is only supported in Dockerfile frontend 1.14.0-labs or later';
