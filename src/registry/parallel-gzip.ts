/**
 * gzip on every core, as pigz does: the input is cut into 1 MiB blocks, each compressed
 * on libuv's thread pool with raw deflate (level 6) primed with the 32 KiB before it, ended
 * by a sync flush (the last by a finish), and the pieces are joined behind one gzip header
 * and before one trailer (CRC-32 and length of the whole input). The result is a single
 * ordinary gzip member any gunzip reads, about as small as a one-stream gzip.
 *
 * The output is a function of the input alone (block size, level and dictionary are
 * fixed, and never depend on how the input arrives), so the same layer always gets the
 * same digest. Changing BLOCK_SIZE, DICTIONARY or LEVEL changes every pushed layer digest.
 */
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';

export const LEVEL = 6;
export const BLOCK_SIZE = 1024 * 1024;
const DICTIONARY = 32 * 1024;

const deflateRawAsync = promisify(deflateRaw) as (buf: Buffer, options: object) => Promise<Buffer>;

/** The 10-byte gzip header: deflate, no name, mtime 0, OS unix (what zlib writes). */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);

export interface ParallelGzipOptions {
  /** Blocks compressed at once; default: the cores available, 2 to 4. */
  concurrency?: number;
}

/** Compresses a stream into one gzip member, in order, with bounded memory. */
export async function* parallelGzip(source: AsyncIterable<Buffer>, options: ParallelGzipOptions = {}): AsyncGenerator<Buffer> {
  const concurrency = options.concurrency ?? Math.max(2, Math.min(4, availableParallelism()));
  const queue: Promise<Buffer>[] = [];
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let previousTail: Buffer | undefined;
  let crc = 0;
  let total = 0;

  const take = (length: number): Buffer => {
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingLength);
    const block = all.subarray(0, length);
    const rest = all.subarray(length);
    pending = rest.length > 0 ? [rest] : [];
    pendingLength = rest.length;
    return block;
  };
  const submit = (block: Buffer, last: boolean): void => {
    const job = deflateRawAsync(block, {
      level: LEVEL,
      finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      ...(previousTail !== undefined ? { dictionary: previousTail } : {}),
    });
    job.catch(() => undefined); // observed when its turn comes; keeps an early failure from going unhandled
    queue.push(job);
    previousTail = block.length >= DICTIONARY ? block.subarray(block.length - DICTIONARY) : Buffer.concat([previousTail ?? Buffer.alloc(0), block]).subarray(-DICTIONARY);
  };

  yield HEADER;
  for await (const chunk of source) {
    crc = crc32(chunk, crc);
    total += chunk.length;
    pending.push(chunk);
    pendingLength += chunk.length;
    while (pendingLength >= BLOCK_SIZE) {
      submit(take(BLOCK_SIZE), false);
      while (queue.length >= concurrency) yield await (queue.shift() as Promise<Buffer>);
    }
  }
  submit(take(pendingLength), true);
  while (queue.length > 0) yield await (queue.shift() as Promise<Buffer>);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total % 2 ** 32, 4);
  yield trailer;
}
