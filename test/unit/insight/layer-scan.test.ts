// scanLayer on real tars: what it records per entry, and damaged input (cut at any point,
// bytes flipped, gzip cut short) fails with a StrataError naming the layer, never another error.
import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { scanLayer } from '../../../src/insight/index.ts';
import { decompress } from '../../../src/diff/index.ts';
import { tarOf } from '../../helpers/layered-archive.ts';

const LAYER = [
  { name: './etc/', type: 'directory' as const },
  { name: './etc/passwd', type: 'file' as const, body: Buffer.from('root:x:0:0\n') },
  { name: 'etc/.wh.shadow', type: 'file' as const },
  { name: 'var/.wh..wh..opq', type: 'file' as const },
  { name: 'bin/sh', type: 'symlink' as const, linkname: 'busybox' },
  { name: 'bin/ash', type: 'hardlink' as const, linkname: 'bin/busybox' },
  { name: 'a'.repeat(150), type: 'file' as const, body: Buffer.alloc(2000, 7) },
];

function chunks(buf: Buffer, size = 333): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < buf.length; at += size) parts.push(buf.subarray(at, at + size));
  return Readable.from(parts);
}

describe('scanLayer', () => {
  test('entries: paths cleaned, whiteouts as the path they remove, opaque dirs, bodies hashed', async () => {
    const tar = await tarOf(LAYER);
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const scan = await scanLayer(chunks(tar), { diffId, what: 'layer 0', verifyDiffId: true });
    assert.equal(scan.tarBytes, tar.length);
    assert.deepEqual(scan.entries.map((e) => [e.path, e.kind, e.size]), [
      ['etc', 'dir', 0], ['etc/passwd', 'file', 11], ['etc/shadow', 'whiteout', 0], ['var', 'opaque', 0],
      ['bin/sh', 'symlink', 0], ['bin/ash', 'hardlink', 0], ['a'.repeat(150), 'file', 2000],
    ]);
    assert.equal(scan.entries[1]?.sha256, createHash('sha256').update('root:x:0:0\n').digest('hex'));
    assert.equal(scan.entries[5]?.link, 'bin/busybox');
  });

  test('a tar cut at any point or with a flipped byte: a StrataError naming the layer, or a scan', async () => {
    const tar = await tarOf(LAYER);
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    let failures = 0;
    for (let cut = 1; cut < tar.length; cut += 61) {
      const damaged = Buffer.from(tar.subarray(0, cut));
      const at = Math.floor(cut / 2);
      if (cut % 2 === 0) damaged[at] = (damaged[at] ?? 0) ^ 0x55;
      try {
        await scanLayer(chunks(damaged, 97), { diffId, what: 'layer 3 (test)', verifyDiffId: true });
      } catch (err) {
        assert.ok(isStrataError(err), String(err));
        assert.match(err.message, /^layer 3 \(test\): /);
        failures++;
      }
    }
    // Every cut loses bytes the diff_id covers: none may pass.
    assert.equal(failures, Math.ceil((tar.length - 1) / 61));
  });

  test('a gzip layer cut short is named as damaged', async () => {
    const gz = gzipSync(await tarOf(LAYER));
    const { stream } = await decompress(chunks(gz.subarray(0, gz.length - 20)));
    await assert.rejects(scanLayer(stream, { diffId: 'sha256:x', what: 'layer 1 of x' }), (err: unknown) =>
      isStrataError(err) && /^layer 1 of x: /.test(err.message));
  });
});
