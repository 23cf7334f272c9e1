// Helpers for the build tests: a fresh store with a busybox base image built the way the
// conformance suite builds it (FROM scratch, COPY busybox, RUN --install), contexts written
// from a file map, and the build's plain progress parsed into steps.
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk, type CliResult } from '../helpers/strata-cli.ts';

export const BASE = 'cbase/busybox:1';

export type TreeEntry = string | { content: string; mode?: number; mtime?: number } | { symlink: string };

/** Writes files (and symlinks) under `dir`; parents are created. */
export function writeTree(dir: string, files: Record<string, TreeEntry>): string {
  for (const [path, entry] of Object.entries(files)) {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof entry === 'string') {
      writeFileSync(abs, entry);
    } else if ('symlink' in entry) {
      symlinkSync(entry.symlink, abs);
    } else {
      writeFileSync(abs, entry.content);
      if (entry.mode !== undefined) chmodSync(abs, entry.mode);
      if (entry.mtime !== undefined) utimesSync(abs, entry.mtime, entry.mtime);
    }
  }
  return dir;
}

/** A new store whose `cbase/busybox:1` was built by strata itself. */
export function storeWithBase(): string {
  const root = tempDir('strata-build-root-');
  const ctx = tempDir('strata-build-base-');
  mkdirSync(join(ctx, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nCMD ["/bin/sh"]\n');
  strataOk(root, ['build', '-q', '-t', BASE, ctx]);
  return root;
}

/** A context directory with a Dockerfile and files. */
export function context(dockerfile: string, files: Record<string, TreeEntry> = {}): string {
  const dir = tempDir('strata-build-ctx-');
  writeTree(dir, { Dockerfile: dockerfile, ...files });
  return dir;
}

export interface Step {
  name: string;
  cached: boolean;
  reason?: string;
  error?: string;
}

/** The steps of a `--progress=plain` build, in the order they were numbered. */
export function stepsOf(progress: string): Step[] {
  const byId = new Map<string, Step>();
  for (const line of progress.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line);
    if (m === null) continue;
    const id = m[1] as string;
    const text = m[2] as string;
    const step = byId.get(id);
    if (step === undefined) {
      byId.set(id, { name: text, cached: false });
      continue;
    }
    if (text === 'CACHED') step.cached = true;
    else if (text.startsWith('cache miss: ')) step.reason = text.slice('cache miss: '.length);
    else if (text.startsWith('ERROR: ')) step.error = text.slice('ERROR: '.length);
  }
  return [...byId.values()].filter((s) => /^\[.*\] (RUN|COPY|ADD|WORKDIR|ONBUILD)/.test(s.name));
}

/** Builds with plain progress; returns the result and its steps. */
export function buildPlain(root: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): CliResult & { steps: Step[] } {
  const r = strata(root, ['build', '--progress=plain', ...args], options);
  return { ...r, steps: stepsOf(r.stderr) };
}

export function buildOk(root: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Step[] {
  const r = buildPlain(root, args, options);
  if (r.status !== 0) throw new Error(`build ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.steps;
}

/** Counts of the store's records, to show a failed build changed nothing. */
export function storeState(root: string): { images: number; tags: string[]; cache: number; snapshots: number; layers: number } {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    const count = (table: string): number => (db.prepare(`SELECT count(*) AS c FROM ${table}`).get() as { c: number }).c;
    const tags = (db.prepare('SELECT name FROM tags ORDER BY name').all() as { name: string }[]).map((r) => r.name);
    const snapshots = (db.prepare("SELECT count(*) AS c FROM snapshots WHERE kind = 'committed'").get() as { c: number }).c;
    return { images: count('images'), tags, cache: count('build_cache'), snapshots, layers: count('layers') };
  } finally {
    db.close();
  }
}

export { strata, strataOk };
