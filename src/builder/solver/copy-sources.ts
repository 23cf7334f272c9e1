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
import type { Readable } from 'node:stream';
import { applyLayer } from '../../diff/index.ts';
import { invalidArgument, unavailable } from '../../errdefs/index.ts';
import { ContextFs } from '../context/context-fs.ts';
import { digestSourceFiles, entryContent, entryMeta, type FileHasher, type SourceFile } from '../context/content-hash.ts';
import { hasWildcards } from '../context/glob.ts';
import { IgnoreMatcher } from '../context/ignore.ts';
import { copySource, matchSource, mkdirAllInRoot, planSource, type CopyTarget, type PlannedSource } from './file-copy.ts';

/** One source of the instruction, resolved. */
export interface ResolvedSource {
  /** As written (expanded), for messages and miss explanations. */
  source: string;
  /** Everything the copy takes (a stage's tree is only opened when this is first called). */
  planned: () => PlannedSource[];
  /** Context files belong to root in the copy. */
  resetOwner: boolean;
  /** ADD: try to unpack each match as an archive. */
  unpack: boolean;
  /** The content digest of what is copied; the file list is computed when asked for (a miss). */
  fileSet: { digest: string; files: () => SourceFile[] };
  /** Extra key material: a URL's content digest. */
  extra?: Record<string, string>;
}

export function isUrl(src: string): boolean {
  return src.startsWith('http://') || src.startsWith('https://');
}

/** The path of a planned entry below the source tree's root. */
function entryPath(p: PlannedSource, rel: string): string {
  return rel === '' ? p.path : `${p.path === '' ? '' : `${p.path}/`}${rel}`;
}

/** The files of a source set: every planned entry, with paths below the source tree's root. */
function sourceFiles(planned: readonly PlannedSource[], hasher: FileHasher, resetOwner: boolean): SourceFile[] {
  const files: SourceFile[] = [];
  for (const p of planned) {
    for (const e of p.entries) {
      let meta = entryMeta(e.entry.st);
      if (resetOwner) meta = meta.replace(/ \d+:\d+$/, ' 0:0');
      files.push([entryPath(p, e.rel), meta, e.entry.st.isDirectory() ? '' : entryContent(e.entry, hasher)]);
    }
  }
  return files;
}

/** A digest of the entries' stats (inode, size, times, mode, owner): unchanged when nothing was touched. */
function statSignature(planned: readonly PlannedSource[], resetOwner: boolean): string {
  const hash = createHash('sha256');
  hash.update(resetOwner ? 'reset\n' : 'keep\n');
  // Lines are hashed in batches: one update call per entry costs more than the hashing.
  let batch = '';
  for (const p of planned) {
    for (const e of p.entries) {
      const st = e.entry.st;
      batch += `${entryPath(p, e.rel)}\0${st.mode}:${st.uid}:${st.gid}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${e.parentOnly ? 1 : 0}\n`;
      if (batch.length > 65536) {
        hash.update(batch);
        batch = '';
      }
    }
  }
  hash.update(batch);
  return hash.digest('hex');
}

/** The content digest of planned sources, from what the hasher remembers when their stats are unchanged. */
function fileSetOf(planned: readonly PlannedSource[], hasher: FileHasher, resetOwner: boolean): ResolvedSource['fileSet'] {
  const signature = statSignature(planned, resetOwner);
  let files: SourceFile[] | undefined;
  const list = (): SourceFile[] => {
    files ??= sourceFiles(planned, hasher, resetOwner);
    return files;
  };
  let digest = hasher.knownSet(signature);
  if (digest === undefined) {
    digest = digestSourceFiles(list());
    hasher.rememberSet(signature, digest);
  }
  return { digest, files: list };
}

/** Plans a path source (`src`, `dir/`, `*.js`, `--parents a/./b`) in a tree. */
function planPath(fs: ContextFs, src: string, options: { excludes: string[]; parents: boolean }): PlannedSource[] {
  const excludes = options.excludes.length > 0 ? new IgnoreMatcher(options.excludes, '--exclude') : undefined;
  if (!options.parents) {
    const matches = matchSource(fs, src, { followSymlinks: true, allowWildcard: true });
    return matches.map((m) => planSource(fs, m, excludes ? { excludes } : {}));
  }
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
  const planned = matches.map((m) => planSource(fs, m, { includes, ...(excludes ? { excludes } : {}) }));
  if (required && !planned.some((p) => p.entries.some((e) => !e.parentOnly && e.rel !== ''))) {
    matchSource(fs, posix.join(parent, pattern), { followSymlinks: true, allowWildcard: false });
  }
  return planned;
}

/**
 * Resolves a path source in a tree and computes its content digest.
 *
 * For the context, the digest is remembered by the entries' stats, so an untouched context is
 * walked (lstat) but not read. For a stage's or image's tree, `memo` names the immutable
 * layer stack and the source: a remembered digest means the tree is not even opened until
 * the step has to run.
 * @throws not-found `"/x": not found` for a missing plain path
 */
export function resolvePathSource(
  open: () => ContextFs,
  src: string,
  options: { excludes: string[]; parents: boolean; resetOwner: boolean; unpack: boolean; hasher: FileHasher; contentHasher?: FileHasher; memo?: string },
): ResolvedSource {
  let planned: PlannedSource[] | undefined;
  const plan = (): PlannedSource[] => {
    planned ??= planPath(open(), src, options);
    return planned;
  };
  const contentHasher = options.contentHasher ?? options.hasher;
  let fileSet: ResolvedSource['fileSet'];
  if (options.memo === undefined) {
    fileSet = fileSetOf(plan(), options.hasher, options.resetOwner);
  } else {
    let files: SourceFile[] | undefined;
    const list = (): SourceFile[] => {
      files ??= sourceFiles(plan(), contentHasher, options.resetOwner);
      return files;
    };
    let digest = options.hasher.knownSet(options.memo);
    if (digest === undefined) {
      digest = digestSourceFiles(list());
      options.hasher.rememberSet(options.memo, digest);
    }
    fileSet = { digest, files: list };
  }
  return { source: src, planned: plan, resetOwner: options.resetOwner, unpack: options.unpack, fileSet };
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
  return { source: `<<${name}`, planned: () => planned, resetOwner: true, unpack: false, fileSet: { digest: digestSourceFiles(files), files: () => files } };
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
  return { source: url, planned: () => planned, resetOwner: true, unpack: false, fileSet: { digest: digestSourceFiles(files), files: () => files }, extra: { digest } };
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
  for (const planned of source.planned()) {
    if (source.unpack && planned.top.st.isFile()) {
      const kind = archiveKind(planned.top.abs);
      if (kind !== undefined) {
        // BuildKit unpacks into the destination directory (created if needed).
        mkdirAllInRoot(target.root, target.dest, { mode: 0o755, ...(target.chown ? { chown: target.chown } : {}), ...(target.createdTime ? { createdTime: target.createdTime } : {}) });
        const dest = target.root.resolve(target.dest);
        target.root.prepareDir(dest);
        // --chown applies to what the archive held (BuildKit's untar with ChownOpts).
        await applyLayer({ source: archiveStream(planned.top.abs, kind), target: dest, whiteouts: 'native', computeDiffId: false, ...(target.chown ? { owner: target.chown } : {}) });
        continue;
      }
    }
    copySource(planned, { ...target, resetOwner: source.resetOwner, copyDirContents: true });
  }
}

