/**
 * docker's `--change` for `import` and `commit`: Dockerfile instructions (CMD, ENTRYPOINT,
 * ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, HEALTHCHECK) applied to
 * an image's defaults, parsed by the build frontend's parser, expanded in the image's
 * environment and applied by the build's own interpreter (dockerfile/image-metadata.ts) in
 * the dialect of docker's classic builder, which serves `--change` in docker.
 */
import { invalidArgument, isStrataError } from '../errdefs/index.ts';
import { parseTrigger } from './dockerfile/parse.ts';
import { expandInstruction } from './dockerfile/expand.ts';
import { isDockerfileError } from './dockerfile/errors.ts';
import { defaultShell } from './dockerfile/history.ts';
import { applyMetadataInstruction, isMetadataInstruction, type MetadataInstruction, type MetadataScope } from './dockerfile/image-metadata.ts';
import type { Instruction } from './dockerfile/ast.ts';
import type { ContainerDefaults } from '../oci/index.ts';

const ALLOWED = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR', 'HEALTHCHECK']);

function envMap(env: string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    if (eq === -1) map.set(entry, '');
    else map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}

function parseChange(text: string): MetadataInstruction {
  // docker names the instruction before parsing anything (`from is not a valid change command`).
  const keyword = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase();
  if (keyword !== undefined && !ALLOWED.has(keyword)) throw invalidArgument(`${keyword.toLowerCase()} is not a valid change command`);
  let instruction: Instruction;
  try {
    instruction = parseTrigger(text, '--change');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw invalidArgument(`invalid --change "${text}": ${message.replace(/^--change(:\d+)?:\s*/, '')}`);
  }
  if (!ALLOWED.has(instruction.kind) || !isMetadataInstruction(instruction)) throw invalidArgument(`${instruction.kind.toLowerCase()} is not a valid change command`);
  return instruction;
}

/** One change on a copy of `defaults`, expanded in their environment. */
function apply(defaults: ContainerDefaults, instruction: MetadataInstruction, scope: MetadataScope): ContainerDefaults {
  const c: ContainerDefaults = { ...defaults };
  let expanded: MetadataInstruction;
  try {
    expanded = expandInstruction(instruction, envMap(c.Env)).instruction;
  } catch (err) {
    // docker names no position in a change: the expansion's own words.
    throw isDockerfileError(err) ? invalidArgument(err.detail) : err;
  }
  applyMetadataInstruction(c, expanded, scope);
  return c;
}

/**
 * Parses `--change` values now (so a bad one fails before any work) and returns the
 * function that applies them in order.
 * @throws invalid-argument naming the change
 */
export function configChanges(changes: string[]): (defaults: ContainerDefaults) => ContainerDefaults {
  const parsed = changes.map((text) => ({ text, instruction: parseChange(text) }));
  return (defaults) => {
    // A CMD among the changes survives a later ENTRYPOINT, as in docker.
    const scope: MetadataScope = { dialect: 'classic', shell: defaultShell(), cmdSet: false };
    return parsed.reduce((acc, { text, instruction }) => {
      try {
        return apply(acc, instruction, scope);
      } catch (err) {
        if (isStrataError(err)) throw err;
        throw invalidArgument(`invalid --change "${text}": ${(err as Error).message}`);
      }
    }, defaults);
  };
}
