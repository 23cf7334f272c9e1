/**
 * The steps of the last builds, for `strata ui`'s Build cache view: one small JSON file per
 * build under `<root>/builds/`, written once when the build ends (atomically, so a reader
 * never sees half of one) and bounded to the newest KEEP_BUILDS. One file per build, not one
 * shared file, so two concurrent builds never lose each other's record. Best effort: the
 * record is a convenience, so failing to write it never fails the build.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../internal/atomic-file.ts';
import { randomHexId } from '../internal/random-id.ts';

export const KEEP_BUILDS = 50;

export interface BuildStepRecord {
  /** The vertex name: `[2/3] COPY app.txt /app/`. */
  name: string;
  cached: boolean;
  /** Why the step missed the cache (steps that ran). */
  reason?: string;
  durationMs: number;
}

export interface BuildRecord {
  id: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  durationMs: number;
  tags: string[];
  imageId?: string;
  /** The failed build's error message. */
  error?: string;
  steps: BuildStepRecord[];
}

export function buildsDir(root: string): string {
  return join(root, 'builds');
}

/** File names sort as the builds started: the start time, zero-padded, then the id. */
function fileName(record: BuildRecord): string {
  return `${String(record.startedAt).padStart(15, '0')}-${record.id.slice(0, 12)}.json`;
}

export function newBuildId(): string {
  return randomHexId();
}

/** Writes the build's record and drops the oldest beyond KEEP_BUILDS; never throws. */
export function recordBuild(root: string, record: BuildRecord): void {
  try {
    const dir = buildsDir(root);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, fileName(record)), JSON.stringify(record), { durable: false });
    const names = recordFiles(dir);
    for (const old of names.slice(0, Math.max(0, names.length - KEEP_BUILDS))) rmSync(join(dir, old), { force: true });
  } catch {
    // Not remembered: the build itself succeeded or failed on its own account.
  }
}

function recordFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /^\d{15}-[0-9a-f]{12}\.json$/.test(n)).sort();
  } catch {
    return [];
  }
}

/** The recorded builds, newest first; an unreadable record is left out. */
export function recentBuilds(root: string): BuildRecord[] {
  const dir = buildsDir(root);
  const out: BuildRecord[] = [];
  for (const name of recordFiles(dir).reverse()) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as BuildRecord);
    } catch {
      // Removed meanwhile by a newer build's pruning, or damaged.
    }
  }
  return out;
}
