/**
 * The sources of one COPY or ADD, resolved before the step runs (their content hashes go into
 * its cache key) and copied when it does: paths and wildcards in the context or a stage's or
 * image's tree, heredoc files, ADD's URLs (downloaded, `--checksum` verified) and local
 * archives (unpacked instead of copied).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, readSync, utimesSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { applyLayer } from '../../diff/index.ts';
import { invalidArgument, unavailable } from '../../errdefs/index.ts';
import { ContextFs } from '../context/context-fs.ts';
import { digestSourceFiles, entryContent, entryMeta, packSourceFiles, type FileHasher, type SourceFile } from '../context/content-hash.ts';
import { hasWildcards } from '../context/glob.ts';
import { IgnoreMatcher } from '../context/ignore.ts';
import { cleanCopyPath, copySource, matchSource, mkdirAllInRoot, planSource, type CopyTarget, type PlannedSource } from './file-copy.ts';

/** One source of the instruction, resolved. */
export interface ResolvedSource {
  /** As written (expanded), for messages and miss explanations. */
  source: string;
  planned: PlannedSource[];
  /** The tree the planned entries live in. */
  fs: ContextFs;
  /** Context files belong to root in the copy. */
  resetOwner: boolean;
  /** ADD: try to unpack each match as an archive. */
  unpack: boolean;
  fileSet: { digest: string; files: SourceFile[] };
  /** Extra key material: a URL's content digest. */
  extra?: Record<string, string>;
}

export function isUrl(src: string): boolean {
  return src.startsWith('http://') || src.startsWith('https://');
}

/** The files of a source set: every planned entry, with paths below the source tree's root. */
function sourceFiles(planned: readonly PlannedSource[], hasher: FileHasher, resetOwner: boolean): SourceFile[] {
  const files: SourceFile[] = [];
  for (const p of planned) {
    for (const e of p.entries) {
      let meta = entryMeta(e.entry.st);
      if (resetOwner) meta = meta.replace(/ \d+:\d+$/, ' 0:0');
      const path = e.rel === '' ? p.path : `${p.path === '' ? '' : `${p.path}/`}${e.rel}`;
      files.push([path, meta, e.entry.st.isDirectory() ? '' : entryContent(e.entry, hasher)]);
    }
  }
  return files;
}

/**
 * Resolves a path source (`src`, `dir/`, `*.js`, `--parents a/./b`) in a tree.
 * @throws not-found `"/x": not found` for a missing plain path
 */
export function resolvePathSource(
  fs: ContextFs,
  src: string,
  options: { excludes: string[]; parents: boolean; resetOwner: boolean; unpack: boolean; hasher: FileHasher },
): ResolvedSource {
  const excludes = options.excludes.length > 0 ? new IgnoreMatcher(options.excludes, '--exclude') : undefined;
  let planned: PlannedSource[];
  if (options.parents) {
    // `--parents`: copy from the root (or the `/./` pivot), keeping the path below it.
    let parent = '/';
    let pattern = src;
    const pivot = src.indexOf('/./');
    if (pivot >= 0) {
      parent = src.slice(0, pivot) || '/';
      pattern = src.slice(pivot + 3);
    }
    pattern = posix.join('/', pattern).replace(/^\/+/, '');
    const required = !hasWildcards(parent) && !hasWildcards(pattern);
    const includes = new IgnoreMatcher([pattern], '--parents');
    const matches = matchSource(fs, parent, { followSymlinks: true, allowWildcard: true });
    planned = matches.map((m) => planSource(fs, m, { includes, ...(excludes ? { excludes } : {}) }));
    if (required && !planned.some((p) => p.entries.some((e) => !e.parentOnly && e.rel !== ''))) {
      matchSource(fs, posix.join(parent, pattern), { followSymlinks: true, allowWildcard: false });
    }
  } else {
    const matches = matchSource(fs, src, { followSymlinks: true, allowWildcard: true });
    planned = matches.map((m) => planSource(fs, m, excludes ? { excludes } : {}));
  }
  const files = sourceFiles(planned, options.hasher, options.resetOwner);
  return { source: src, planned, fs, resetOwner: options.resetOwner, unpack: options.unpack, fileSet: { digest: digestSourceFiles(files), files } };
}

/** A heredoc source: one file named after the heredoc, mode 0644. */
export function inlineSource(scratch: string, name: string, content: string, hasher: FileHasher, mtime: Date): ResolvedSource {
  const dir = mkdtempSync(join(scratch, 'inline-'));
  const file = join(dir, name);
  mkdirSync(posix.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode: 0o644 });
  utimesSync(file, mtime, mtime);
  const fs = new ContextFs(dir);
  const planned = matchSource(fs, name, { followSymlinks: false, allowWildcard: false }).map((m) => planSource(fs, m, {}));
  const files = sourceFiles(planned, hasher, true);
  return { source: `<<${name}`, planned, fs, resetOwner: true, unpack: false, fileSet: { digest: digestSourceFiles(files), files } };
}

/**
 * Downloads an ADD URL into the scratch directory (mode 0600, mtime from Last-Modified), as
 * BuildKit's http source does; `checksum` (`sha256:…`) must match the content.
 * @throws unavailable when the download fails, invalid-argument for a checksum mismatch
 */
export async function urlSource(scratch: string, url: string, checksum: string | undefined, hasher: FileHasher, signal?: AbortSignal): Promise<ResolvedSource> {
  if (checksum !== undefined && !/^sha256:[a-f0-9]{64}$/.test(checksum)) {
    throw invalidArgument(`invalid checksum digest format ${JSON.stringify(checksum)}: only sha256:<64 hex> is supported`);
  }
  let name = '__unnamed__';
  try {
    const base = posix.basename(new URL(url).pathname);
    if (base !== '.' && base !== '/' && base !== '') name = decodeURIComponent(base);
  } catch {
    throw invalidArgument(`invalid URL ${url}`);
  }
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', ...(signal ? { signal } : {}) });
  } catch (err) {
    throw unavailable(`failed to load ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) throw unavailable(`failed to load ${url}: invalid response status ${response.status}`);
  const dir = mkdtempSync(join(scratch, 'url-'));
  const file = join(dir, name);
  const body = Buffer.from(await response.arrayBuffer());
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  if (checksum !== undefined && digest !== checksum) {
    throw invalidArgument(`digest mismatch ${digest}: ${checksum}`);
  }
  writeFileSync(file, body, { mode: 0o600 });
  const modified = response.headers.get('last-modified');
  const mtime = modified !== null && !Number.isNaN(Date.parse(modified)) ? new Date(Date.parse(modified)) : new Date();
  utimesSync(file, mtime, mtime);
  const fs = new ContextFs(dir);
  const planned = matchSource(fs, name, { followSymlinks: false, allowWildcard: false }).map((m) => planSource(fs, m, {}));
  const files = sourceFiles(planned, hasher, true);
  return { source: url, planned, fs, resetOwner: true, unpack: false, fileSet: { digest: digestSourceFiles(files), files }, extra: { digest } };
}

type ArchiveKind = 'tar' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Whether a 512-byte block is a tar header (its checksum adds up). */
function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  const stored = parseInt(block.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  return sum === stored;
}

/** Which kind of archive a file is, if it is one (ADD unpacks these). */
export function archiveKind(path: string): ArchiveKind | undefined {
  const head = readHead(path, 512);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return isTarHeader(head) ? 'tar' : undefined;
}

/** The archive's tar stream (gzip and zstd are handled by applyLayer; bzip2 and xz by their tools). */
function archiveStream(path: string, kind: ArchiveKind): AsyncIterable<Uint8Array> {
  if (kind === 'bzip2' || kind === 'xz') {
    const child = spawn(kind === 'xz' ? 'xz' : 'bzip2', ['-dc', path], { stdio: ['ignore', 'pipe', 'ignore'] });
    return child.stdout as Readable;
  }
  return createReadStream(path);
}

/** Copies (or for ADD, unpacks) every planned entry of a resolved source into the target. */
export async function copyResolved(source: ResolvedSource, target: Omit<CopyTarget, 'resetOwner' | 'copyDirContents'>): Promise<void> {
  for (const planned of source.planned) {
    if (source.unpack && planned.top.st.isFile()) {
      const kind = archiveKind(planned.top.abs);
      if (kind !== undefined) {
        // BuildKit unpacks into the destination directory (created if needed).
        mkdirAllInRoot(target.rootfs, target.dest, { mode: 0o755, ...(target.chown ? { chown: target.chown } : {}), ...(target.createdTime ? { createdTime: target.createdTime } : {}) });
        const { resolveInRootfs } = await import('../../runtime/index.ts');
        await applyLayer({ source: archiveStream(planned.top.abs, kind), target: resolveInRootfs(target.rootfs, target.dest), whiteouts: 'native' });
        continue;
      }
    }
    copySource(planned, { ...target, resetOwner: source.resetOwner, copyDirContents: true });
  }
}

export { cleanCopyPath, packSourceFiles };

/** A readable for tests and callers that have bytes. */
export function bytesSource(data: Buffer): AsyncIterable<Uint8Array> {
  return Readable.from([data]);
}
