/**
 * gzip on every core, as pigz does: the input is cut into 1 MiB blocks, each compressed
 * on libuv's thread pool with raw deflate (level 6) primed with the 32 KiB before it, ended
 * by a sync flush (the last by a finish), and the pieces are joined behind one gzip header
 * and before one trailer (CRC-32 and length of the whole input). The result is a single
 * ordinary gzip member any gunzip reads, about as small as a one-stream gzip.
 *
 * A block that a quick trial shows to be incompressible (64 KiB sampled across it, deflated
 * at level 1, saves under 5 %) is stored instead of deflated: zlib's level 6 would end in
 * stored blocks too, after ~30 ms per MiB of searching for matches that are not there
 * (random data, media, archives inside a layer), so this keeps such layers at disk speed.
 *
 * The output is a function of the input alone (block size, level, dictionary and the
 * sampling are fixed, and never depend on how the input arrives), so the same layer always
 * gets the same digest. Changing any of the constants here changes pushed layer digests.
 */
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw } from 'node:zlib';

export const LEVEL = 6;
export const BLOCK_SIZE = 1024 * 1024;
const DICTIONARY = 32 * 1024;
const SAMPLE_SLICES = 4;
const SAMPLE_SLICE = 16 * 1024;
/** A sample that deflates to more than this share of its size marks its block as incompressible. */
const STORE_THRESHOLD = 0.95;

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
    const dictionary = previousTail;
    const job = (async () => {
      const level = (await incompressible(block)) ? 0 : LEVEL;
      return deflateRawAsync(block, {
        level,
        // One output buffer per block: the default 16 KiB makes the main thread handle 64 callbacks per MiB.
        chunkSize: block.length + 64 * 1024,
        finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
        ...(dictionary !== undefined ? { dictionary } : {}),
      });
    })();
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

/** True when a level-1 trial on slices spread over the block saves under 5 %. */
async function incompressible(block: Buffer): Promise<boolean> {
  if (block.length < SAMPLE_SLICES * SAMPLE_SLICE * 2) return false;
  const step = Math.floor((block.length - SAMPLE_SLICE) / (SAMPLE_SLICES - 1));
  const sample = Buffer.concat(Array.from({ length: SAMPLE_SLICES }, (_, i) => block.subarray(i * step, i * step + SAMPLE_SLICE)));
  const trial = await deflateRawAsync(sample, { level: 1 });
  return trial.length > sample.length * STORE_THRESHOLD;
}
