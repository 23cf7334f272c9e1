/**
 * The build context as the solver uses it: the Dockerfile's text, the context tree with
 * `.dockerignore` applied (or none, for a Dockerfile on stdin), and the hasher that remembers
 * what it hashed. A tarball context is received into a directory first (received-context.ts:
 * unpacked into scratch space, or synced into a directory kept between builds); a directory
 * context is read in place, only where COPY and ADD look.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errnoOf, fromSystemError, invalidArgument } from '../../errdefs/index.ts';
import { BuildCacheRecords, type Database } from '../../metadata/index.ts';
import type { ContextInput, DockerfileInput } from '../build-types.ts';
import { ContextFs } from './context-fs.ts';
import { FileHasher } from './content-hash.ts';
import { IgnoreMatcher, loadIgnoreFile } from './ignore.ts';
import { receiveContextTar, type ReceivedContext } from './received-context.ts';

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
  let received: ReceivedContext | undefined;
  const cleanup = (): void => received?.release();
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
    } else if (context.kind === 'tar' || context.kind === 'received') {
      received = context.kind === 'received' ? context.context : await receiveContextTar(host.root, context.source, context.description !== undefined ? { description: context.description } : {});
      dir = received.dir;
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
    // Hashes of a context on disk (a kept one included) are remembered across builds; a scratch unpacked tarball's are not.
    const hasher = new FileHasher(dir !== undefined && (received === undefined || received.kept) ? { db: host.db, records: new BuildCacheRecords(host.db), root: dir } : undefined);
    return { fs, dockerfile: { text, name }, ignoreFile, ignorePatterns, hasher, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
