/**
 * Writes the entries of a layer tar from files on disk, hashing and sizing the stream as it
 * goes. Headers are normalized so the same tree gives the same bytes: ustar + PAX when
 * needed, no uname/gname, no atime/ctime, whole-second mtimes (clamped to
 * SOURCE_DATE_EPOCH when set), directories named with a trailing '/', hardlinks after
 * their first path, and whiteouts with fixed metadata (mode 0, root-owned, mtime 0).
 */
import type { BigIntStats } from 'node:fs';
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { failedPrecondition, fromSystemError, invalidArgument } from '../errdefs/index.ts';
import { TarWriter } from '../internal/tar/index.ts';
import type { TarHeaderInit } from '../internal/tar/index.ts';
import { lgetxattrs, splitDev } from '../internal/sys/index.ts';
import { LayerHash } from './layer-hash.ts';
import { LayerSize } from './layer-size.ts';
import type { LayerStats } from './apply.ts';

const READ_CHUNK = 1024 * 1024;
/**
 * Bodies smaller than this are read into one reused buffer: the tar writer copies them into
 * its own (a fresh buffer for every file would cost a page fault per 4 KiB). Larger reads go
 * to the output as they are, so each gets a buffer of its own.
 */
const SMALL_BODY = 16 * 1024;

/** Reads SOURCE_DATE_EPOCH when no explicit epoch is given. */
export function sourceDateEpoch(explicit: number | undefined): number | undefined {
  if (explicit !== undefined) return explicit;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(env)) throw invalidArgument(`SOURCE_DATE_EPOCH=${JSON.stringify(env)} is not a number of seconds`);
  return Number(env);
}

/**
 * The xattrs of a path, split into those a layer carries and overlayfs' own bookkeeping
 * (`trusted.overlay.*`, `user.overlay.*`), which never goes into a layer; host security
 * labels (security.selinux) are dropped too.
 */
export function readXattrs(abs: Buffer): { layer: Map<string, Buffer>; overlay: Map<string, Buffer> } {
  const layer = lgetxattrs(abs);
  const overlay = new Map<string, Buffer>();
  for (const [name, value] of layer) {
    if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) {
      overlay.set(name, value);
      layer.delete(name);
    } else if (name === 'security.selinux') {
      layer.delete(name);
    }
  }
  return { layer, overlay };
}

function seconds(ns: bigint): number {
  let q = ns / 1_000_000_000n;
  if (ns < 0n && q * 1_000_000_000n !== ns) q -= 1n;
  return Number(q);
}

export class LayerTarWriter {
  readonly size = new LayerSize();
  private readonly hash = new LayerHash();
  /** Where small bodies are read (see SMALL_BODY); each writer has its own, as diffs may run side by side. */
  private readonly smallBody = Buffer.allocUnsafeSlow(SMALL_BODY);
  private readonly tar: TarWriter;
  /** dev:ino → the latin1 path that first wrote the inode. */
  private readonly inodes = new Map<string, string>();

  constructor(
    output: Writable,
    private readonly epoch: number | undefined,
  ) {
    this.tar = new TarWriter(output, { onChunk: (chunk) => this.hash.update(chunk) });
  }

  /**
   * One entry for the file at `abs`, named `path` (latin1, relative, no trailing slash).
   * Sockets are skipped, as docker skips them.
   */
  async addPath(abs: Buffer, path: string, st: BigIntStats, xattrs: Map<string, Buffer>): Promise<void> {
    let mtime = seconds(st.mtimeNs);
    if (this.epoch !== undefined && mtime > this.epoch) mtime = this.epoch;
    const nameBytes = Buffer.from(path, 'latin1');
    const base: TarHeaderInit = {
      name: nameBytes.toString('utf8'),
      nameBytes,
      type: 'file',
      mode: Number(st.mode) & 0o7777,
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtime,
      xattrs,
    };
    if (st.isDirectory()) {
      const withSlash = Buffer.from(`${path}/`, 'latin1');
      await this.tar.add({ ...base, type: 'directory', name: withSlash.toString('utf8'), nameBytes: withSlash });
    } else if (st.isSymbolicLink()) {
      const target = readlinkSync(abs, { encoding: 'buffer' });
      await this.tar.add({ ...base, type: 'symlink', linknameBytes: target, linkname: target.toString('utf8') });
      this.size.add(path, target.length);
    } else if (st.isFile()) {
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = this.inodes.get(key);
        if (first !== undefined) {
          const link = Buffer.from(first, 'latin1');
          await this.tar.add({ ...base, type: 'hardlink', linknameBytes: link, linkname: link.toString('utf8') });
          this.size.link(path, first);
          return;
        }
        this.inodes.set(key, path);
      }
      const size = Number(st.size);
      await this.tar.writeHeader({ ...base, size });
      await this.copyBody(abs, path, size);
      await this.tar.endEntry();
      this.size.add(path, size);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      await this.tar.add({ ...base, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: major, devminor: minor });
    } else if (st.isFIFO()) {
      await this.tar.add({ ...base, type: 'fifo' });
    }
  }

  /** A `.wh.` or `.wh..wh..opq` entry named `path` (latin1). */
  async addWhiteout(path: string): Promise<void> {
    const nameBytes = Buffer.from(path, 'latin1');
    await this.tar.add({ name: nameBytes.toString('utf8'), nameBytes, type: 'file', mode: 0, uid: 0, gid: 0, mtime: 0, size: 0 });
  }

  /** Ends the archive and returns its digest and sizes (does not end the output). */
  async finish(): Promise<LayerStats> {
    await this.tar.finish({ end: false });
    return { diffId: `sha256:${this.hash.digest()}`, size: this.size.total, tarSize: this.tar.bytesWritten };
  }

  /** Gives up the layer (the walk failed): releases the hashing thread. */
  abort(): void {
    this.hash.abandon();
  }

  private async copyBody(abs: Buffer, path: string, size: number): Promise<void> {
    let fd: number;
    try {
      fd = openSync(abs, 'r');
    } catch (err) {
      throw fromSystemError(err, `reading ${JSON.stringify(Buffer.from(path, 'latin1').toString('utf8'))}`);
    }
    try {
      let done = 0;
      while (done < size) {
        const buf = size - done < SMALL_BODY ? this.smallBody.subarray(0, size - done) : Buffer.allocUnsafe(Math.min(READ_CHUNK, size - done));
        let fill = 0;
        while (fill < buf.length) {
          const n = readSync(fd, buf, fill, buf.length - fill, null);
          if (n === 0) {
            throw failedPrecondition(
              `${JSON.stringify(Buffer.from(path, 'latin1').toString('utf8'))} shrank while it was being read into the layer`,
            );
          }
          fill += n;
        }
        done += fill;
        await this.tar.writeData(buf);
      }
    } finally {
      closeSync(fd);
    }
  }
}
