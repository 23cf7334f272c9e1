// The hashing thread (src/diff/hash-thread.ts) and the layer hash that moves to it past a
// threshold (layer-hash.ts): the digest is the one node:crypto gives on one thread, whatever
// the chunk sizes (larger than the ring, or a few bytes), and an abandoned hash leaves the
// thread ready for the next stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { OffThreadHash } from '../../../src/diff/hash-thread.ts';
import { LayerHash } from '../../../src/diff/layer-hash.ts';

const hex = (parts: Buffer[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

test('off-thread sha256: pieces larger than the ring, odd sizes and empty ones', () => {
  const parts = [randomBytes(3), Buffer.alloc(0), randomBytes(20 << 20), randomBytes(4097), randomBytes(3 << 20), randomBytes(1)];
  const h = new OffThreadHash();
  for (const p of parts) h.update(p);
  assert.equal(h.digest(), hex(parts));
});

test('off-thread sha256: an empty stream', () => {
  assert.equal(new OffThreadHash().digest(), hex([]));
});

test('off-thread sha256: an abandoned hash gives its thread to the next stream', () => {
  const first = new OffThreadHash();
  first.update(randomBytes(5 << 20));
  first.abandon();
  const parts = [randomBytes(9 << 20)];
  const second = new OffThreadHash();
  for (const p of parts) second.update(p);
  assert.equal(second.digest(), hex(parts));
});

test('layer hash: inline below the threshold, on the thread past it, the same digest either way', () => {
  const parts = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 997));
  for (const threshold of [Infinity, 0, 20_000]) {
    const h = new LayerHash(threshold);
    for (const p of parts) h.update(p);
    assert.equal(h.digest(), hex(parts), `threshold ${threshold}`);
  }
});
