/**
 * builder/: the Dockerfile frontend (dockerfile/), the build context (context/), the solver with
 * its layer cache (solver/), progress, the build cache's administration, and docker's
 * `--change` (config-changes.ts, through the same metadata interpreter as the build).
 *
 *   const progress = new Progress({ mode: 'plain', out: process.stderr });
 *   const result = await build(host, { context: { kind: 'dir', dir: '.' },
 *     dockerfile: { kind: 'text', text, name: 'Dockerfile', path }, tags, progress });
 *   progress.finish();
 *
 * `host` is the engine (plus its pull and extract functions): build/ drives snapshots and the
 * runtime through it and never imports engine/.
 */
export { build } from './solver/builder.ts';
export type { BuildHost, BuildOptions, BuildResult, ContextInput, DockerfileInput, SecretSource, StepReport } from './build-types.ts';
export { BuildError, dockerfileSnippet, formatBuildFailure } from './build-error.ts';
export type { BuildErrorDetails } from './build-error.ts';
export { Progress, progressMode } from './progress.ts';
export type { ProgressMode, ProgressOptions } from './progress.ts';
export { buildCacheUsage, pruneBuildCache } from './cache-admin.ts';
export type { BuildCacheEntryUsage, BuildCachePruneResult } from './cache-admin.ts';
export { configChanges } from './config-changes.ts';
export { receiveContextTar } from './context/received-context.ts';
export type { ReceivedContext } from './context/received-context.ts';
