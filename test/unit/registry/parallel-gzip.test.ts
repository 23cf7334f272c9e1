import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BLOCK_SIZE, parallelGzip } from '../../../src/registry/parallel-gzip.ts';

async function collect(chunks: Buffer[], concurrency?: number): Promise<Buffer> {
  const out: Buffer[] = [];
  async function* source(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  for await (const c of parallelGzip(source(), concurrency ? { concurrency } : {})) out.push(c);
  return Buffer.concat(out);
}

/** Text-like data: compressible, with matches that reach across block boundaries. */
function textLike(size: number): Buffer {
  const words = Array.from({ length: 500 }, (_, i) => createHash('sha1').update(String(i)).digest('hex').slice(0, 3 + (i % 9)));
  let s = '';
  for (let i = 0; s.length < size; i++) s += `${words[(i * 7919) % words.length]}${i % 13 === 0 ? '\n' : ' '}`;
  return Buffer.from(s.slice(0, size));
}

const sizes = [0, 1, 1000, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 3 * BLOCK_SIZE + 12345];

test('every size round-trips through gunzip (node:zlib and GNU gzip)', async () => {
  for (const size of sizes) {
    const input = size % 2 === 0 ? textLike(size) : randomBytes(size);
    const gz = await collect([input]);
    assert.ok(gunzipSync(gz).equals(input), `size ${size}`);
    const r = spawnSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 30 });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(r.stdout.equals(input), `GNU gzip reads size ${size}`);
  }
});

test('the bytes depend on the input only: not on how it is chunked, nor on the concurrency', async () => {
  const input = textLike(5 * BLOCK_SIZE + 777);
  const whole = await collect([input]);
  const pieces: Buffer[] = [];
  for (let off = 0, step = 1; off < input.length; off += step, step = (step * 31 + 17) % 200_000 + 1) pieces.push(input.subarray(off, off + step));
  assert.ok((await collect(pieces)).equals(whole));
  assert.ok((await collect([input], 1)).equals(whole));
  assert.ok((await collect([input], 4)).equals(whole));
});

test('blocks primed with the previous 32 KiB compress about as well as one gzip stream', async () => {
  const input = textLike(4 * BLOCK_SIZE);
  const ours = (await collect([input])).length;
  const single = gzipSync(input, { level: 6 }).length;
  assert.ok(ours < single * 1.02, `${ours} vs ${single}`);
});
