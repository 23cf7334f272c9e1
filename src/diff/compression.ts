/**
 * Layer compression: gzip through node:zlib at a fixed level (digests depend on the exact
 * bytes, so the implementation and level never vary), zstd through the `zstd` CLI (Node 20
 * has no zstd). Decompression tells the formats apart by their magic bytes.
 */
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { invalidArgument, StrataError, unimplemented } from '../errdefs/index.ts';

export type Compression = 'none' | 'gzip' | 'zstd';

/** The gzip level strata writes layers with. Changing it changes every layer digest. */
export const GZIP_LEVEL = 6;
/** The zstd level strata writes layers with. */
export const ZSTD_LEVEL = 3;

const CHUNK = 128 * 1024;

/** Every compression the magic bytes tell apart; strata reads only the first three. */
export type SniffedCompression = Compression | 'bzip2' | 'xz';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/**
 * What the first bytes (6 are enough) of a blob say it is. Anything unrecognised is 'none':
 * an uncompressed tar (the tar parser rejects it if it is not one).
 */
export function sniffCompression(head: Buffer): SniffedCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  return 'none';
}

/**
 * `sniffCompression`, for a layer.
 * @throws StrataError 'unimplemented' for bzip2 and xz, which layers may not use.
 */
export function detectCompression(head: Buffer): Compression {
  const compression = sniffCompression(head);
  if (compression === 'bzip2' || compression === 'xz') {
    throw unimplemented(`${compression}-compressed layers are not supported`, { hint: 'layers may be uncompressed, gzip or zstd' });
  }
  return compression;
}

/** A transform that compresses what is written to it. */
export function compress(kind: 'gzip' | 'zstd', level?: number): Duplex {
  if (kind === 'gzip') return createGzip({ level: level ?? GZIP_LEVEL, chunkSize: CHUNK });
  const lv = level ?? ZSTD_LEVEL;
  if (!Number.isInteger(lv) || lv < 1 || lv > 19) throw invalidArgument(`zstd level ${lv} is out of range 1-19`);
  return spawnFilter('zstd', ['-c', '-q', `-${lv}`], 'zstd compression');
}

export interface Decompressed {
  compression: Compression;
  /** The uncompressed bytes. Breaking out of the iteration stops the decompressor. */
  stream: AsyncIterable<Buffer>;
}

/**
 * Decompresses `source` as its magic bytes say (uncompressed input passes through).
 * @throws StrataError 'unimplemented' for bzip2/xz; decompression errors surface while iterating
 *   as 'invalid-argument'.
 */
export async function decompress(source: AsyncIterable<Uint8Array>): Promise<Decompressed> {
  const input = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let inputDone = false;
  while (headLength < 6) {
    const r = await input.next();
    if (r.done === true) {
      inputDone = true;
      break;
    }
    const chunk = toBuffer(r.value);
    head.push(chunk);
    headLength += chunk.length;
  }
  let compression: Compression;
  try {
    compression = detectCompression(Buffer.concat(head));
  } catch (err) {
    await input.return?.();
    throw err;
  }
  async function* raw(): AsyncGenerator<Buffer> {
    let finished = inputDone;
    try {
      yield* head;
      while (!finished) {
        const r = await input.next();
        if (r.done === true) finished = true;
        else yield toBuffer(r.value);
      }
    } finally {
      // Stopped early (a bad entry): release the source (close the file, end the request).
      if (!finished) await input.return?.();
    }
  }
  if (compression === 'none') return { compression, stream: raw() };
  const filter = compression === 'gzip' ? createGunzip({ chunkSize: CHUNK }) : spawnFilter('zstd', ['-d', '-c', '-q'], 'zstd decompression');
  return { compression, stream: through(raw(), filter, compression) };
}

/** Pipes `source` into `filter` and yields what comes out, tearing both down on early exit. */
async function* through(source: AsyncGenerator<Buffer>, filter: Duplex, what: string): AsyncGenerator<Buffer> {
  const feeder = Readable.from(source, { objectMode: false });
  feeder.on('error', (err) => filter.destroy(err));
  feeder.pipe(filter);
  try {
    for await (const chunk of filter) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof StrataError) throw err;
    throw invalidArgument(`${what === 'gzip' ? 'gzip' : 'zstd'} layer data is corrupt: ${(err as Error).message}`, { cause: err });
  } finally {
    feeder.unpipe(filter);
    feeder.destroy();
    filter.destroy();
  }
}

function toBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A child process as a Duplex: stdin is the writable side, stdout the readable side. */
function spawnFilter(cmd: string, args: string[], what: string): Duplex {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const out = new PassThrough({ highWaterMark: CHUNK });
  let exited = false;
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => {
    duplex.destroy(new StrataError('unavailable', `${what}: cannot run ${cmd}: ${err.message}`, { cause: err, hint: 'install the zstd package' }));
  });
  child.on('close', (code, signal) => {
    exited = true;
    if (code === 0) out.end();
    else if (!duplex.destroyed) {
      const detail = Buffer.concat(stderr).toString().trim() || (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
      duplex.destroy(invalidArgument(`${what} failed: ${detail}`));
    }
  });
  child.stdin.on('error', () => {
    /* EPIPE when the child exits early; its exit status tells the story */
  });
  duplex.on('close', () => {
    if (!exited) child.kill('SIGKILL');
  });
  return duplex;
}
