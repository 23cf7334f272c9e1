/**
 * The process a container runs, by docker's rules: the image's ENTRYPOINT followed by its
 * CMD; words after IMAGE replace CMD; `--entrypoint x` replaces ENTRYPOINT and drops the
 * image's CMD; `--entrypoint ''` clears ENTRYPOINT. Shell-form instructions are already
 * `["/bin/sh","-c","…"]` in the image config, so they need nothing here.
 */
import { invalidArgument } from '../errdefs/index.ts';
import type { ImageRunConfig } from './image-config.ts';

export interface ContainerCommand {
  /** docker's `Path`: the first word. */
  path: string;
  /** docker's `Args`: the rest. */
  args: string[];
  /** The merged `Config.Entrypoint` docker records (null when none). */
  entrypoint: string[] | null;
  /** The merged `Config.Cmd` docker records (null when none). */
  cmd: string[] | null;
}

/**
 * Merges the run's command and entrypoint with the image's, as the daemon does at create.
 * @throws invalid-argument `no command specified` when nothing is left to run.
 */
export function resolveCommand(
  image: ImageRunConfig | undefined,
  run: { command?: string[]; entrypoint?: string | string[] },
): ContainerCommand {
  // docker/cli turns `--entrypoint ''` into [""] and `--entrypoint x` into ["x"] (never split).
  let entrypoint: string[] | null = run.entrypoint === undefined ? null : typeof run.entrypoint === 'string' ? [run.entrypoint] : [...run.entrypoint];
  let cmd: string[] | null = run.command !== undefined && run.command.length > 0 ? [...run.command] : null;
  if (entrypoint === null || entrypoint.length === 0) {
    if (cmd === null) cmd = image?.Cmd && image.Cmd.length > 0 ? [...image.Cmd] : null;
    if (entrypoint === null) entrypoint = image?.Entrypoint && image.Entrypoint.length > 0 ? [...image.Entrypoint] : null;
  }
  if (entrypoint !== null && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  const words = [...(entrypoint ?? []), ...(cmd ?? [])];
  const [path, ...args] = words;
  if (path === undefined) throw invalidArgument('no command specified');
  return { path, args, entrypoint, cmd };
}
