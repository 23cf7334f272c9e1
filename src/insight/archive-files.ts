/**
 * The files of an image archive read in place, without loading it into the store: a plain
 * tar is indexed once (headers only: bodies are skipped, never read) and each file is then
 * read from its offset; a directory (an OCI layout as skopeo writes it) is read as is.
 */
import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { dataLoss, fromSystemError, invalidArgument, isStrataError, notFound, StrataError } from '../errdefs/index.ts';
import { BLOCK_SIZE, TarParser } from '../internal/tar/index.ts';
import { sniffCompression } from '../diff/index.ts';

/**
 * Read chunks of 256 KiB, as the content store reads blobs: read chunks of 1 MiB, each
 * garbage once scanned, left the process up to ~50 MB bigger until the collector ran (a
 * million-file layer peaked at 190–237 MB instead of 185).
 */
const READ_CHUNK = 256 * 1024;

export interface ArchiveFiles {
  /** How to name the archive in errors. */
  readonly what: string;
  has(name: string): boolean;
  /** A small file's bytes (manifests, configs). @throws not-found naming it */
  read(name: string): Buffer;
  /** A file's bytes as a stream (layers). */
  stream(name: string): Readable;
}

/** Small documents only: a manifest or config larger than this is not one. */
const MAX_DOCUMENT = 16 * 1024 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);

interface Span {
  offset: number;
  size: number;
}

class TarFiles implements ArchiveFiles {
  constructor(
    readonly what: string,
    private readonly path: string,
    private readonly spans: Map<string, Span>,
  ) {}

  has(name: string): boolean {
    return this.spans.has(name);
  }

  read(name: string): Buffer {
    const span = this.spans.get(name);
    if (span === undefined) throw notFound(`${this.what}: it has no ${name}`);
    if (span.size > MAX_DOCUMENT) throw invalidArgument(`${this.what}: ${name} is ${span.size} bytes, too large for an image document`);
    const buf = Buffer.alloc(span.size);
    const fd = openSync(this.path, 'r');
    try {
      let got = 0;
      while (got < span.size) {
        const n = readSync(fd, buf, got, span.size - got, span.offset + got);
        if (n === 0) throw dataLoss(`${this.what}: ${name} is cut short`);
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return buf;
  }

  stream(name: string): Readable {
    const span = this.spans.get(name);
    if (span === undefined) throw notFound(`${this.what}: it has no ${name}`);
    if (span.size === 0) return createReadStream(this.path, { start: 1, end: 0 });
    return createReadStream(this.path, { start: span.offset, end: span.offset + span.size - 1, highWaterMark: READ_CHUNK });
  }
}

class DirectoryFiles implements ArchiveFiles {
  constructor(
    readonly what: string,
    private readonly dir: string,
  ) {}

  private pathOf(name: string): string {
    return join(this.dir, posix.normalize(`/${name}`));
  }

  has(name: string): boolean {
    try {
      return statSync(this.pathOf(name)).isFile();
    } catch {
      return false;
    }
  }

  read(name: string): Buffer {
    if (!this.has(name)) throw notFound(`${this.what}: it has no ${name}`);
    try {
      return readFileSync(this.pathOf(name));
    } catch (err) {
      throw fromSystemError(err, `read ${this.pathOf(name)}`);
    }
  }

  stream(name: string): Readable {
    if (!this.has(name)) throw notFound(`${this.what}: it has no ${name}`);
    return createReadStream(this.pathOf(name), { highWaterMark: READ_CHUNK });
  }
}

/** Where each file of a plain tar lies: its headers are read, its bodies skipped. */
function indexTar(path: string, what: string): Map<string, Span> {
  const spans = new Map<string, Span>();
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fromSystemError(err, `open ${path}`);
  }
  try {
    const fileSize = fstatSync(fd).size;
    const head = Buffer.alloc(BLOCK_SIZE);
    const headBytes = readSync(fd, head, 0, BLOCK_SIZE, 0);
    const compression = sniffCompression(head.subarray(0, headBytes));
    if (compression !== 'none') {
      throw invalidArgument(`${what}: the archive is ${compression}-compressed; analyze reads it in place, so decompress it first (gunzip, zstd -d)`);
    }
    let skip = 0;
    let pos = 0;
    const parser = new TarParser({
      onEntry: (header) => {
        const offset = parser.position;
        if (offset + header.size > fileSize) {
          throw dataLoss(`${what}: truncated: ${header.name} needs ${header.size} bytes at byte ${offset}, but the file ends at byte ${fileSize}`);
        }
        if (header.type === 'file') spans.set(posix.normalize(header.name).replace(/^\.\//, ''), { offset, size: header.size });
        skip = header.size + ((BLOCK_SIZE - (header.size % BLOCK_SIZE)) % BLOCK_SIZE);
      },
    });
    const block = Buffer.alloc(BLOCK_SIZE);
    while (!parser.finished) {
      if (skip > 0) {
        // A body: the parser gets zeros of its length, the file is not read.
        const n = Math.min(skip, ZEROS.length);
        parser.write(ZEROS.subarray(0, n));
        skip -= n;
        pos += n;
        continue;
      }
      const n = readSync(fd, block, 0, BLOCK_SIZE, pos);
      if (n === 0) break;
      pos += n;
      parser.write(block.subarray(0, n));
    }
    parser.end();
  } catch (err) {
    if (isStrataError(err) && !err.message.startsWith(what)) throw new StrataError(err.code, `${what}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    closeSync(fd);
  }
  return spans;
}

/** The files of `path`: a directory as it is, a plain tar through its index. */
export function openArchiveFiles(path: string, what: string): ArchiveFiles {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw fromSystemError(err, `open ${path}`);
  }
  return isDir ? new DirectoryFiles(what, path) : new TarFiles(what, path, indexTar(path, what));
}
