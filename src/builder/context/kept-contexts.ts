/**
 * Context directories kept between builds of tar contexts (the Engine API's POST /build), so
 * a rebuild writes only what changed in the tar (tar-sync.ts). One directory per label (the
 * client's tags and Dockerfile path: what tells one project's builds from another's), at most
 * MAX_KEPT, the least recently used removed first. A build holds its directory through a lock
 * file naming its pid; a build that finds it held by a live process unpacks into a scratch
 * directory instead, as every tar context did before.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errnoOf } from '../../errdefs/index.ts';
import { processAlive } from '../../internal/index.ts';

/** Under the store's root. */
export const KEPT_CONTEXTS_DIR = 'build-contexts';
/** Directories kept: a few projects built in turn each keep theirs. */
const MAX_KEPT = 4;

export interface KeptContext {
  /** The context directory (may not exist yet). */
  dir: string;
  /** Marks it used now (after a sync that worked), making room for it among the kept ones. */
  used(): void;
  /** Lets the next build have it; a claim that never used it leaves nothing behind. */
  release(): void;
}

/** Takes the lock file; false when a live process holds it. */
function lock(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    let pid: number;
    try {
      pid = Number(readFileSync(path, 'utf8'));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
      continue;
    }
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) return false;
    // A dead holder's lock: only one of several claimants renames it away.
    try {
      renameSync(path, `${path}.stale-${process.pid}`);
      rmSync(`${path}.stale-${process.pid}`, { force: true });
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
  return false;
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Removes the least recently used directories beyond MAX_KEPT - 1 (room for `keep`), skipping held ones. */
function evict(base: string, keep: string): void {
  const keys = readdirSync(base).filter((n) => /^[0-9a-f]{16}$/.test(n) && n !== keep);
  if (keys.length < MAX_KEPT) return;
  keys.sort((a, b) => mtimeOf(join(base, `${a}.used`)) - mtimeOf(join(base, `${b}.used`)));
  let excess = keys.length - MAX_KEPT + 1;
  for (const key of keys) {
    if (excess === 0) break;
    const lockPath = join(base, `${key}.lock`);
    if (!lock(lockPath)) continue;
    excess--;
    rmSync(join(base, key), { recursive: true, force: true });
    rmSync(join(base, `${key}.used`), { force: true });
    rmSync(lockPath, { force: true });
  }
}

/**
 * The kept context directory for `label`, held until released; undefined when another live
 * build holds it.
 */
export function claimKeptContext(root: string, label: string): KeptContext | undefined {
  const base = join(root, KEPT_CONTEXTS_DIR);
  mkdirSync(base, { recursive: true });
  const key = createHash('sha256').update(label).digest('hex').slice(0, 16);
  const lockPath = join(base, `${key}.lock`);
  if (!lock(lockPath)) {
    removeIfEmpty(base);
    return undefined;
  }
  return {
    dir: join(base, key),
    used: () => {
      const stamp = join(base, `${key}.used`);
      const now = new Date();
      try {
        utimesSync(stamp, now, now);
      } catch {
        closeSync(openSync(stamp, 'w'));
      }
      evict(base, key);
    },
    release: () => {
      rmSync(lockPath, { force: true });
      removeIfEmpty(base);
    },
  };
}

/** A failed first build leaves no empty directory in the store. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    if (errnoOf(err) !== 'ENOTEMPTY' && errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'EEXIST') throw err;
  }
}

/**
 * Removes every kept context no build holds (`builder prune -a`).
 * @param measure the bytes a directory holds (counted before it goes)
 * @returns the bytes freed
 */
export function removeKeptContexts(root: string, measure: (dir: string) => number): number {
  const base = join(root, KEPT_CONTEXTS_DIR);
  let keys: string[];
  try {
    keys = readdirSync(base).filter((n) => /^[0-9a-f]{16}$/.test(n));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 0;
    throw err;
  }
  let bytes = 0;
  for (const key of keys) {
    const lockPath = join(base, `${key}.lock`);
    if (!lock(lockPath)) continue;
    bytes += measure(join(base, key));
    rmSync(join(base, key), { recursive: true, force: true });
    rmSync(join(base, `${key}.used`), { force: true });
    rmSync(lockPath, { force: true });
  }
  removeIfEmpty(base);
  return bytes;
}

