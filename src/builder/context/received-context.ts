/**
 * A context tar received into a directory before the build starts: synced into a context
 * directory kept between builds when the caller names one (`keep`: the Engine API's builds,
 * so a rebuild writes only what changed), else unpacked into the store's scratch space.
 * Receiving it whole before the build lets a truncated or malformed tar be refused as bad
 * input before anything else happens.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { applyLayer } from '../../diff/index.ts';
import { invalidArgument } from '../../errdefs/index.ts';
import { scratchName } from '../leftovers.ts';
import { claimKeptContext } from './kept-contexts.ts';
import { syncContextTar } from './tar-sync.ts';

export interface ReceivedContext {
  /** The context directory. */
  dir: string;
  /** It is kept: file digests are worth remembering across builds. */
  kept: boolean;
  /** Gives the directory back (a kept one to the next build; a scratch one is removed). Idempotent. */
  release(): void;
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/**
 * Receives a context tar (plain, gzip or zstd).
 * @param description names the tar in errors (`in the request body`; default `on stdin`)
 * @throws invalid-argument when it is not a valid tar archive (truncated, malformed, an entry
 *   escaping the context); nothing is left behind then
 */
export async function receiveContextTar(
  root: string,
  source: AsyncIterable<Uint8Array>,
  options: { description?: string; keep?: string } = {},
): Promise<ReceivedContext> {
  const invalid = (err: unknown): Error => invalidArgument(
    `unable to prepare context: the build context ${options.description ?? 'on stdin'} is not a valid tar archive: ${(err as Error).message}`,
    { cause: err },
  );
  const kept = options.keep !== undefined ? claimKeptContext(root, options.keep) : undefined;
  if (kept !== undefined) {
    try {
      // Spools named like the build's scratch directory, so a killed build's are swept like it.
      await syncContextTar(source, kept.dir, join(root, 'tmp', `${scratchName()}-context`));
    } catch (err) {
      kept.release();
      throw invalid(err);
    }
    try {
      kept.used();
    } catch (err) {
      kept.release();
      throw err;
    }
    return { dir: kept.dir, kept: true, release: once(kept.release) };
  }
  // Named like the build's scratch directory, so a killed build's is swept like it.
  const temporary = mkdtempSync(join(root, 'tmp', `${scratchName()}-context-`));
  const release = once(() => rmSync(temporary, { recursive: true, force: true }));
  const dir = join(temporary, 'context');
  try {
    mkdirSync(dir);
    await applyLayer({ source, target: dir, whiteouts: 'native', computeDiffId: false });
  } catch (err) {
    release();
    throw invalid(err);
  }
  return { dir, kept: false, release };
}
