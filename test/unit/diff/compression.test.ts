// Layers travel gzip'ed or zstd'ed: both are told apart by magic bytes and give the same
// diff_id as the uncompressed tar; gzip output is fixed for a given input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { applyLayer, compress, decompress, detectCompression, GZIP_LEVEL, sniffCompression } from '../../../src/diff/index.ts';
import { layerTar, run, sha256, tempDir } from './layer-helpers.ts';

const LAYER = layerTar([
  { name: 'etc/', type: 'directory', mode: 0o755, mtime: 1 },
  { name: 'etc/hosts', type: 'file', mode: 0o644, mtime: 2, body: '127.0.0.1 localhost\n'.repeat(1000) },
  { name: 'bin', type: 'file', mode: 0o755, mtime: 3, body: Buffer.alloc(300_000, 0x5a) },
]);

async function through(kind: 'gzip' | 'zstd', input: Buffer, level?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const c = compress(kind, level);
  const collecting = (async () => {
    for await (const chunk of c) parts.push(chunk as Buffer);
  })();
  await pipeline(Readable.from([input]), c);
  await collecting;
  return Buffer.concat(parts);
}

async function inflate(blob: Buffer): Promise<{ kind: string; bytes: Buffer }> {
  const d = await decompress(Readable.from([blob.subarray(0, 3), blob.subarray(3)]));
  const parts: Buffer[] = [];
  for await (const c of d.stream) parts.push(c);
  return { kind: d.compression, bytes: Buffer.concat(parts) };
}

test('magic bytes tell gzip, zstd and plain tar apart', async () => {
  assert.equal(detectCompression(await through('gzip', LAYER)), 'gzip');
  assert.equal(detectCompression(await through('zstd', LAYER)), 'zstd');
  assert.equal(detectCompression(LAYER), 'none');
  assert.throws(() => detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1])), { code: 'unimplemented', message: /^xz-compressed layers are not supported$/ });
  assert.throws(() => detectCompression(Buffer.from('BZh91AY&SY')), { code: 'unimplemented', message: /^bzip2-compressed layers are not supported$/ });
  // Loading an archive names what it found, layers or not (load, import).
  assert.equal(sniffCompression(Buffer.from('BZh91AY&SY')), 'bzip2');
  assert.equal(sniffCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  assert.equal(sniffCompression(Buffer.from([0xfd, 0x37, 0x7a])), 'none', 'too short to be xz');
  assert.equal(sniffCompression(Buffer.alloc(0)), 'none');
});

test('gzip and zstd round-trip, and the system tools read what strata writes', async () => {
  for (const kind of ['gzip', 'zstd'] as const) {
    const blob = await through(kind, LAYER);
    const back = await inflate(blob);
    assert.equal(back.kind, kind);
    assert.ok(back.bytes.equals(LAYER));
    const cli = run(kind === 'gzip' ? 'gzip' : 'zstd', ['-dc'], blob);
    assert.ok(cli.equals(LAYER), `${kind} -dc reads it`);
  }
  // And strata reads what the tools write (pigz: another gzip implementation, other bytes).
  const pigz = run('pigz', ['-c'], LAYER);
  assert.ok((await inflate(pigz)).bytes.equals(LAYER));
});

test('gzip output is deterministic at the fixed level', async () => {
  const a = await through('gzip', LAYER);
  const b = await through('gzip', LAYER);
  assert.ok(a.equals(b));
  assert.equal(GZIP_LEVEL, 6);
  assert.notEqual(sha256(await through('gzip', LAYER, 1)), sha256(a), 'the level changes the digest, so it is fixed');
});

test('applying a compressed layer gives the diff_id of the uncompressed tar', async () => {
  for (const kind of ['gzip', 'zstd'] as const) {
    const target = join(tempDir(), 't');
    mkdirSync(target);
    const stats = await applyLayer({ source: Readable.from([await through(kind, LAYER)]), target, whiteouts: 'overlay' });
    assert.equal(stats.diffId, sha256(LAYER));
    assert.equal(stats.tarSize, LAYER.length);
    assert.equal(stats.size, 20_000 + 300_000);
    assert.equal(readFileSync(join(target, 'etc/hosts'), 'utf8').length, 20_000);
  }
});

test('corrupt compressed data fails clearly', async () => {
  for (const kind of ['gzip', 'zstd'] as const) {
    const blob = Buffer.from(await through(kind, LAYER));
    blob.fill(0x00, 20, blob.length - 20);
    const target = join(tempDir(), 't');
    mkdirSync(target);
    await assert.rejects(applyLayer({ source: Readable.from([blob]), target, whiteouts: 'overlay' }), (err: Error & { code?: string }) => {
      assert.ok(err.code === 'invalid-argument' || err.code === 'data-loss', `${kind}: ${err.code} ${err.message}`);
      return true;
    });
  }
});

test('a layer that fails part-way releases its source instead of reading on', async () => {
  let closed = false;
  let chunks = 0;
  async function* endless(): AsyncGenerator<Buffer> {
    try {
      yield layerTar([{ name: '../evil', type: 'file', body: 'x' }]).subarray(0, 1024);
      for (;;) {
        chunks++;
        yield Buffer.alloc(65536);
      }
    } finally {
      closed = true;
    }
  }
  const target = join(tempDir(), 't');
  mkdirSync(target);
  await assert.rejects(applyLayer({ source: endless(), target, whiteouts: 'native' }), { code: 'invalid-argument', message: /escapes the layer root/ });
  assert.ok(closed, 'the source was closed');
  assert.ok(chunks < 3, `read ${chunks} chunks after the failure`);
});
