/**
 * Content hashes of COPY and ADD sources, for cache keys: names, types, modes, owners,
 * content and link targets, never mtimes. A file's content digest is remembered by its path,
 * inode, size, mtime and ctime (as BuildKit's contenthash remembers it), so a rebuild reads
 * only files that changed since the last build and a no-op rebuild of a large context costs
 * one lstat per file.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fromSystemError } from '../../errdefs/index.ts';
import { inTransaction, type BuildCacheRecords, type Database, type FileHashRow } from '../../metadata/index.ts';
import type { ContextEntry, EntryStat } from './context-fs.ts';

/** sha256 of a file's bytes, read synchronously in 1 MiB chunks. */
export function hashFile(abs: string): string {
  const hash = createHash('sha256');
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (err) {
    throw fromSystemError(err, `read ${abs}`);
  }
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Digests of regular files, remembered across builds for one directory tree (a build
 * context), or only for this build (a stage's mounted tree, a context from a tarball).
 */
export class FileHasher {
  private known: Map<string, FileHashRow> | undefined;
  private readonly fresh: FileHashRow[] = [];
  /** Files read (not answered from what was remembered): for tests and progress. */
  hashed = 0;
  bytesHashed = 0;

  constructor(
    private readonly store?: { db: Database; records: BuildCacheRecords; root: string },
  ) {}

  digest(abs: string, st: Pick<EntryStat, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
    if (this.store !== undefined && this.known === undefined) {
      this.known = new Map(this.store.records.fileHashesUnder(this.store.root).map((r) => [r.path, r]));
    }
    const row = this.known?.get(abs);
    // ms with the sub-ms fraction a double keeps (the columns are named for what they held first).
    const mtimeNs = String(st.mtimeMs);
    const ctimeNs = String(st.ctimeMs);
    if (row !== undefined && row.ino === st.ino && row.size === st.size && row.mtimeNs === mtimeNs && row.ctimeNs === ctimeNs) {
      return row.digest;
    }
    const digest = hashFile(abs);
    this.hashed++;
    this.bytesHashed += st.size;
    if (this.store !== undefined) {
      const fresh = { path: abs, ino: st.ino, size: st.size, mtimeNs, ctimeNs, digest };
      this.known?.set(abs, fresh);
      this.fresh.push(fresh);
    }
    return digest;
  }

  private readonly sets = new Map<string, string>();

  /**
   * The content digest remembered for a source set whose entries had exactly these stats
   * (`statSignature`): a rebuild of an unchanged tree needs no per-file lookup at all.
   */
  knownSet(signature: string): string | undefined {
    const hit = this.sets.get(signature);
    if (hit !== undefined || this.store === undefined) return hit;
    const row = this.store.records.fileHash(`@set:${signature}`);
    if (row !== undefined) this.sets.set(signature, row.digest);
    return row?.digest;
  }

  rememberSet(signature: string, digest: string): void {
    if (this.sets.get(signature) === digest) return;
    this.sets.set(signature, digest);
    if (this.store !== undefined) this.fresh.push({ path: `@set:${signature}`, ino: 0, size: 0, mtimeNs: '0', ctimeNs: '0', digest });
  }

  /** Writes what was hashed for the first time in one transaction. */
  flush(): void {
    if (this.store === undefined || this.fresh.length === 0) return;
    const { db, records } = this.store;
    const rows = this.fresh.splice(0);
    inTransaction(db, () => {
      for (const r of rows) records.putFileHash(r);
    });
  }
}

/** One entry of a source set: its path below the copied top, what it is, and its content. */
export type SourceFile = [path: string, meta: string, content: string];

function typeChar(st: EntryStat): string {
  if (st.isDirectory()) return 'd';
  if (st.isSymbolicLink()) return 'l';
  if (st.isFile()) return 'f';
  if (st.isCharacterDevice()) return 'c';
  if (st.isBlockDevice()) return 'b';
  if (st.isFIFO()) return 'p';
  return 's';
}

/** `f0644 0:0`: type, permission bits (with setuid/setgid/sticky) and owner. */
export function entryMeta(st: EntryStat): string {
  return `${typeChar(st)}${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${st.uid}:${st.gid}`;
}

/** What a file's content is for the key: the digest of a regular file, the target of a link, device numbers. */
export function entryContent(entry: ContextEntry, hasher: FileHasher): string {
  const st = entry.st;
  if (st.isFile()) return hasher.digest(entry.abs, st);
  if (st.isSymbolicLink()) return readlinkSync(entry.abs);
  if (st.isCharacterDevice() || st.isBlockDevice()) return `${st.rdev}`;
  return '';
}

/** A set of source files and its digest, which a COPY's cache key includes. */
export interface SourceSet {
  digest: string;
  files: SourceFile[];
}

/** The digest of a list of source files (in the order given, which is the copy's walk order). */
export function digestSourceFiles(files: readonly SourceFile[]): string {
  const hash = createHash('sha256');
  for (const [path, meta, content] of files) hash.update(`${path}\0${meta}\0${content}\n`);
  return hash.digest('hex');
}

/** Compressed form of a source set's file list, to store beside a cache entry. */
export function packSourceFiles(files: readonly SourceFile[]): Buffer {
  return gzipSync(JSON.stringify(files));
}
