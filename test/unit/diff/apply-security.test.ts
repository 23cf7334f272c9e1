// One test per attack a layer can try on the extractor. Each checks that the layer is
// refused or contained, and that nothing outside the target changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { applyLayer } from '../../../src/diff/index.ts';
import { apply, layerTar, snapshot, tempDir } from './layer-helpers.ts';
import type { Entry } from './layer-helpers.ts';

interface Arena {
  root: string;
  target: string;
  outside: string;
  check(): void;
}

/** A target beside an "outside" directory holding a secret; check() proves outside is untouched. */
function arena(): Arena {
  const root = tempDir('sa-');
  const target = join(root, 'target');
  const outside = join(root, 'outside');
  mkdirSync(target);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'untouched');
  const before = snapshot(outside);
  return {
    root,
    target,
    outside,
    check() {
      assert.deepEqual(snapshot(outside), before, 'outside is unchanged');
      assert.deepEqual(readdirSync(root).sort(), ['outside', 'target'], 'nothing new beside the target');
      assert.equal(lstatSync(join(outside, 'secret')).nlink, 1, 'no hardlink to the secret');
    },
  };
}

const f = (name: string, body = 'pwned'): Entry => ({ name, type: 'file', mode: 0o644, body });
const sym = (name: string, linkname: string): Entry => ({ name, type: 'symlink', linkname });
const hard = (name: string, linkname: string): Entry => ({ name, type: 'hardlink', linkname });

for (const mode of ['overlay', 'native'] as const) {
  test(`traversal with ../ is refused (${mode})`, async () => {
    const a = arena();
    for (const name of ['../outside/secret', 'a/../../outside/pwn', '../../../../etc/pwn', './../x']) {
      await assert.rejects(apply(layerTar([f(name)]), a.target, mode), {
        code: 'invalid-argument',
        message: new RegExp(`layer entry ${JSON.stringify(name).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*escapes the layer root`),
      });
    }
    // '..' that stays inside is cleaned, as docker cleans it.
    await apply(layerTar([f('a/../inside', 'ok')]), a.target, mode);
    assert.equal(readFileSync(join(a.target, 'inside'), 'utf8'), 'ok');
    a.check();
  });

  test(`absolute names land inside the target (${mode})`, async () => {
    const a = arena();
    await apply(layerTar([f('/abs-file', 'in'), f(`${a.outside}/secret`, 'in too')]), a.target, mode);
    assert.equal(readFileSync(join(a.target, 'abs-file'), 'utf8'), 'in');
    assert.equal(readFileSync(join(a.target, a.outside, 'secret'), 'utf8'), 'in too');
    a.check();
  });

  test(`symlink then write-through stays inside (${mode})`, async () => {
    const a = arena();
    // An absolute symlink is followed inside the target, as it would be in a chroot.
    await apply(layerTar([sym('evil', a.outside), f('evil/secret', 'contained'), sym('slash', '/'), f('slash/via-root', 'r')]), a.target, mode);
    assert.equal(readlinkSync(join(a.target, 'evil')), a.outside);
    assert.equal(readFileSync(join(a.target, a.outside, 'secret'), 'utf8'), 'contained');
    assert.equal(readFileSync(join(a.target, 'via-root'), 'utf8'), 'r');
    // A relative symlink that climbs out is refused outright (docker refuses it too).
    await assert.rejects(apply(layerTar([sym('rel', '../outside'), f('rel/secret')]), a.target, mode), {
      code: 'invalid-argument',
      message: /layer entry "rel": symlink target "..\/outside" points outside the layer root/,
    });
    a.check();
  });

  test(`a symlink replaced by a file is never written through (${mode})`, async () => {
    const a = arena();
    await apply(layerTar([sym('link', join(a.outside, 'secret')), f('link', 'replaced')]), a.target, mode);
    assert.ok(lstatSync(join(a.target, 'link')).isFile());
    assert.equal(readFileSync(join(a.target, 'link'), 'utf8'), 'replaced');
    a.check();
  });

  test(`a hardlink to a file outside is refused (${mode})`, async () => {
    const a = arena();
    await assert.rejects(apply(layerTar([hard('h', '../outside/secret')]), a.target, mode), {
      code: 'invalid-argument',
      message: /layer entry "h": hardlink target "..\/outside\/secret" points outside the layer root/,
    });
    // An absolute target is looked up inside the target, where it does not exist.
    await assert.rejects(apply(layerTar([hard('h', join(a.outside, 'secret'))]), a.target, mode), { code: 'invalid-argument', message: /does not exist/ });
    // Through a planted symlink: still resolved inside.
    await assert.rejects(apply(layerTar([sym('s', a.outside), hard('h', 's/secret')]), a.target, mode), { code: 'invalid-argument', message: /does not exist/ });
    a.check();
  });

  test(`a symlink loop is refused (${mode})`, async () => {
    const a = arena();
    await assert.rejects(apply(layerTar([sym('a', 'b'), sym('b', 'a'), f('a/x')]), a.target, mode), {
      code: 'invalid-argument',
      message: /layer entry "a\/x": too many levels of symbolic links/,
    });
    a.check();
  });

  test(`a 100-level symlink chain is refused; a 30-level one resolves inside (${mode})`, async () => {
    const a = arena();
    const chain = (n: number, prefix: string): Entry[] => [
      { name: `${prefix}real/`, type: 'directory', mode: 0o755 },
      ...Array.from({ length: n }, (_, i) => sym(`${prefix}l${i}`, i === n - 1 ? `${prefix}real` : `${prefix}l${i + 1}`)),
    ];
    await assert.rejects(apply(layerTar([...chain(100, 'x'), f('xl0/file')]), a.target, mode), {
      code: 'invalid-argument',
      message: /too many levels of symbolic links/,
    });
    await apply(layerTar([...chain(30, 'y'), f('yl0/file', 'end')]), a.target, mode);
    assert.equal(readFileSync(join(a.target, 'yreal', 'file'), 'utf8'), 'end');
    a.check();
  });

  test(`duplicate entries: the later wins, safely (${mode})`, async () => {
    const a = arena();
    await apply(
      layerTar([
        f('f', 'first'),
        f('f', 'second'),
        { name: 'd/', type: 'directory', mode: 0o755 },
        f('d/x'),
        f('d', 'now a file'),
        sym('s', a.outside),
        { name: 's/', type: 'directory', mode: 0o700 },
        f('s/inside', 'i'),
        f('h', 'h1'),
        hard('h2', 'h'),
        f('h2', 'separate'),
      ]),
      a.target,
      mode,
    );
    assert.equal(readFileSync(join(a.target, 'f'), 'utf8'), 'second');
    assert.equal(readFileSync(join(a.target, 'd'), 'utf8'), 'now a file');
    assert.ok(lstatSync(join(a.target, 's')).isDirectory());
    assert.equal(readFileSync(join(a.target, 's', 'inside'), 'utf8'), 'i');
    assert.equal(readFileSync(join(a.target, 'h'), 'utf8'), 'h1');
    assert.equal(readFileSync(join(a.target, 'h2'), 'utf8'), 'separate');
    a.check();
  });

  test(`a 10,000-component path is refused before anything is created (${mode})`, async () => {
    const a = arena();
    const name = `${'a/'.repeat(10_000)}f`;
    await assert.rejects(apply(layerTar([f(name)]), a.target, mode), { code: 'invalid-argument', message: /longer than the 4096 bytes/ });
    assert.deepEqual(readdirSync(a.target), []);
    // Ten thousand '.' and '..' components clean away to nothing and cost nothing.
    await apply(layerTar([f(`${'./y/../'.repeat(10_000)}x/ok`, 'ok')]), a.target, mode);
    assert.equal(readFileSync(join(a.target, 'x', 'ok'), 'utf8'), 'ok');
    a.check();
  });

  test(`whiteouts cannot reach outside (${mode})`, async () => {
    const a = arena();
    for (const name of ['.wh..', '.wh...', 'd/.wh..']) {
      await assert.rejects(apply(layerTar([f(name, '')]), a.target, mode), { code: 'invalid-argument' });
    }
    await assert.rejects(apply(layerTar([f('../outside/.wh.secret', '')]), a.target, mode), { code: 'invalid-argument' });
    // A whiteout and an opaque marker under a symlink to outside act inside the target only.
    await apply(layerTar([sym('o', a.outside), f('o/.wh.secret', ''), f('o/.wh..wh..opq', '')]), a.target, mode);
    a.check();
  });
}

test('a gzip bomb: memory stays bounded and a size limit stops it', async () => {
  const a = arena();
  const tar = layerTar([f('small', 'x')]);
  // 1 GiB of zeros after the end of the archive, gzip'ed to about 1 MB.
  const zeros = Buffer.alloc(16 << 20);
  const gzip = createGzip({ level: 9 });
  const gz: Buffer[] = [];
  gzip.on('data', (c: Buffer) => gz.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  gzip.write(tar);
  for (let i = 0; i < 64; i++) if (!gzip.write(zeros)) await new Promise((r) => gzip.once('drain', r));
  gzip.end();
  await done;
  const bomb = Buffer.concat(gz);
  assert.ok(bomb.length < 2 << 20, `bomb is ${bomb.length} bytes`);

  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  const stats = await applyLayer({ source: Readable.from([bomb]), target: a.target, whiteouts: 'native' });
  clearInterval(timer);
  assert.equal(stats.tarSize, tar.length + 64 * zeros.length);
  assert.ok(peak - base < 150 * 1024 * 1024, `rss grew by ${Math.round((peak - base) / 1e6)} MB`);
  assert.equal(readFileSync(join(a.target, 'small'), 'utf8'), 'x');

  await assert.rejects(applyLayer({ source: Readable.from([bomb]), target: a.target, whiteouts: 'native', maxTarSize: 10 << 20 }), {
    code: 'invalid-argument',
    message: /larger than the 10485760 bytes allowed/,
  });
  a.check();
});

test('a truncated layer fails naming the entry', async () => {
  const a = arena();
  const tar = layerTar([f('ok', 'fine'), f('cut', 'x'.repeat(5000))]);
  await assert.rejects(apply(tar.subarray(0, 2048), a.target, 'native'), { code: 'data-loss', message: /"cut"/ });
  a.check();
});

test('a layer that is not a tar is refused', async () => {
  const a = arena();
  await assert.rejects(apply(Buffer.alloc(4096, 0x41), a.target, 'overlay'), { code: 'invalid-argument', message: /not a tar archive/ });
  await assert.rejects(apply(Buffer.from('BZh91AY&SY'), a.target, 'overlay'), { code: 'unimplemented', message: /bzip2/ });
  a.check();
});

for (const mode of ['overlay', 'native'] as const) {
  test(`a hardlink to a planted symlink does not chmod or chown through it (${mode})`, async () => {
    const a = arena();
    const secret = join(a.outside, 'secret');
    const before = lstatSync(secret);
    await apply(layerTar([sym('s', secret), { name: 'h', type: 'hardlink', linkname: 's', mode: 0o777, uid: 1234, gid: 1234 }]), a.target, mode);
    const after = lstatSync(secret);
    assert.equal(after.mode, before.mode);
    assert.equal(after.uid, before.uid);
    assert.ok(lstatSync(join(a.target, 'h')).isSymbolicLink());
    a.check();
  });
}
