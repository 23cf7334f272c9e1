// A damaged compressed block can decode to garbage before its decoder notices (zstd checks a
// frame's checksum at its end): a reader that fails on that garbage asks the decoder for its
// verdict, which names the real cause (load and import then say "corrupt zstd data", never a
// tar header error that depends on where the garbage landed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { decoderVerdict, decompressed } from '../../../src/archive/index.ts';

/** 8 MiB that compress well but not to nothing, so the frame has many blocks. */
function payload(): Buffer {
  const lines: string[] = [];
  for (let i = 0; lines.join('').length < 8 * 1024 * 1024; i++) lines.push(`line ${i} ${(i * 2654435761) % 1000003}\n`.repeat(20));
  return Buffer.from(lines.join(''));
}

function flippedAt(data: Buffer, fraction: number): Buffer {
  const copy = Buffer.from(data);
  const at = Math.floor(copy.length * fraction);
  copy[at] = (copy[at] as number) ^ 0xff;
  return copy;
}

/** Reads one chunk, then stops as a reader that failed on it does, and asks for the verdict in the same tick. */
async function verdictAfterFirstChunk(input: Buffer, what: string): Promise<Error | undefined> {
  const { stream } = await decompressed(Readable.from([input]), what);
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.next();
  stream.destroy();
  return decoderVerdict(stream);
}

test('zstd: a block damaged past what the reader read is named by the decoder', async () => {
  const zst = execFileSync('zstd', ['-c', '-q', '--check'], { input: payload(), maxBuffer: 64 * 1024 * 1024 });
  const verdict = await verdictAfterFirstChunk(flippedAt(zst, 0.6), 'damaged.tar.zst');
  assert.match(String(verdict?.message), /^damaged\.tar\.zst: (corrupt zstd data: .+|the zstd stream ends early \(truncated file\?\))$/);
});

test('gzip: a block damaged past what the reader read is named by the decoder', async () => {
  const gz = gzipSync(payload());
  const verdict = await verdictAfterFirstChunk(flippedAt(gz, 0.6), 'damaged.tar.gz');
  assert.match(String(verdict?.message), /^damaged\.tar\.gz: (corrupt gzip data: .+|the gzip stream ends early \(truncated file\?\))$/);
});

test('whole input: the decoders find nothing wrong, and plain input has no decoder', async () => {
  const data = payload();
  assert.equal(await verdictAfterFirstChunk(execFileSync('zstd', ['-c', '-q'], { input: data, maxBuffer: 64 * 1024 * 1024 }), 'whole.tar.zst'), undefined);
  assert.equal(await verdictAfterFirstChunk(gzipSync(data), 'whole.tar.gz'), undefined);
  assert.equal(await verdictAfterFirstChunk(data, 'whole.tar'), undefined);
});
