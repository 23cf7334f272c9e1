/**
 * The build context as the solver uses it: the Dockerfile's text, the context tree with
 * `.dockerignore` applied (or none, for a Dockerfile on stdin), and the hasher that remembers
 * what it hashed. A tarball context is unpacked into the store's scratch space first and
 * removed afterwards; a directory context is read in place, only where COPY and ADD look.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyLayer } from '../../diff/index.ts';
import { errnoOf, fromSystemError, invalidArgument } from '../../errdefs/index.ts';
import { BuildCacheRecords, type Database } from '../../metadata/index.ts';
import type { ContextInput, DockerfileInput } from '../build-types.ts';
import { scratchName } from '../leftovers.ts';
import { ContextFs } from './context-fs.ts';
import { FileHasher } from './content-hash.ts';
import { IgnoreMatcher, loadIgnoreFile } from './ignore.ts';

export interface PreparedContext {
  /** The context tree; undefined when there is no context. */
  fs: ContextFs | undefined;
  dockerfile: { text: Buffer; name: string };
  /** The ignore file that was applied, if any. */
  ignoreFile: string | undefined;
  ignorePatterns: number;
  hasher: FileHasher;
  /** Removes what preparing made (an unpacked tarball). */
  cleanup(): void;
}

function readDockerfile(path: string, display: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT') throw invalidArgument(`failed to read dockerfile: open ${display}: no such file or directory`);
    if (errno === 'EISDIR') throw invalidArgument(`failed to read dockerfile: read ${display}: is a directory`);
    throw fromSystemError(err, `read dockerfile ${display}`);
  }
}

/**
 * Prepares a build's context and Dockerfile.
 * @throws invalid-argument for a missing context directory or Dockerfile, or a bad `.dockerignore`
 */
export async function prepareContext(
  host: { root: string; db: Database },
  context: ContextInput,
  dockerfile: DockerfileInput,
): Promise<PreparedContext> {
  let dir: string | undefined;
  let temporary: string | undefined;
  const cleanup = (): void => {
    if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
  };
  try {
    if (context.kind === 'dir') {
      dir = resolve(context.dir);
      let st;
      try {
        st = statSync(dir);
      } catch {
        throw invalidArgument(`unable to prepare context: path "${context.dir}" not found`);
      }
      if (!st.isDirectory()) throw invalidArgument(`unable to prepare context: path "${context.dir}" is not a directory`);
    } else if (context.kind === 'tar') {
      // Named like the build's scratch directory, so a killed build's is swept like it.
      temporary = mkdtempSync(join(host.root, 'tmp', `${scratchName()}-context-`));
      dir = join(temporary, 'context');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dir);
      try {
        await applyLayer({ source: context.source, target: dir, whiteouts: 'native', computeDiffId: false });
      } catch (err) {
        throw invalidArgument(`unable to prepare context: the build context ${context.description ?? 'on stdin'} is not a valid tar archive: ${(err as Error).message}`, { cause: err });
      }
    }

    let text: Buffer;
    let name: string;
    let dockerfilePath: string | undefined;
    if (dockerfile.kind === 'text') {
      text = dockerfile.text;
      name = dockerfile.name;
      dockerfilePath = dockerfile.path;
    } else {
      if (dir === undefined) throw invalidArgument('a Dockerfile inside the context needs a context');
      const rel = dockerfile.path.replace(/^\/+/, '');
      dockerfilePath = join(dir, rel);
      if (!resolve(dockerfilePath).startsWith(`${dir}/`)) throw invalidArgument(`the Dockerfile (${dockerfile.path}) must be within the build context`);
      text = readDockerfile(dockerfilePath, rel);
      name = rel;
    }

    let fs: ContextFs | undefined;
    let ignoreFile: string | undefined;
    let ignorePatterns = 0;
    if (dir !== undefined) {
      const ignore = loadIgnoreFile(dir, dockerfilePath);
      ignoreFile = ignore.path;
      ignorePatterns = ignore.patterns.length;
      const matcher = ignore.patterns.length > 0 ? new IgnoreMatcher(ignore.patterns, ignore.path ?? '.dockerignore') : undefined;
      fs = new ContextFs(dir, matcher);
    }
    // Hashes of a context on disk are remembered across builds; an unpacked tarball's are not.
    const hasher = new FileHasher(dir !== undefined && temporary === undefined ? { db: host.db, records: new BuildCacheRecords(host.db), root: dir } : undefined);
    return { fs, dockerfile: { text, name }, ignoreFile, ignorePatterns, hasher, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
