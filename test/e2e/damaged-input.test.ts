// Damaged archives given to `load` and `import` (cut short, or with flipped bytes; plain,
// gzip or zstd; from a file or stdin): one line naming the input and what is wrong with it,
// exit status 1, and the store exactly as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { storeContents } from '../helpers/store-contents.ts';

const ARCHIVE = new URL('../fixtures/docker-save/three-images.tar', import.meta.url).pathname;
const dir = tempDir();

function zstd(data: Buffer): Buffer {
  return execFileSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 64 * 1024 * 1024 });
}

/** `data` with one byte inverted at `at`. */
function flipped(data: Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy[at] = (copy[at] as number) ^ 0xff;
  return copy;
}

function file(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** A store holding one image, to show that what was there stays. */
function store(): string {
  const root = join(tempDir(), 'store');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  writeFileSync(join(rootfs, 'hello'), 'hello\n');
  strataOk(root, ['import', '-', 'base:1'], { input: execFileSync('tar', ['-C', rootfs, '-cf', '-', '.']) });
  return root;
}

interface Case {
  name: string;
  data: Buffer;
  /** What is wrong, after the input's name. */
  problem: RegExp;
}

function expectRefused(root: string, args: string[], input: Buffer | undefined, shownAs: string, problem: RegExp): void {
  const before = storeContents(root);
  const r = strata(root, args, input ? { input } : {});
  const what = `${args.join(' ')}${input ? ' < stdin' : ''}`;
  assert.equal(r.status, 1, `${what}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^Error: ${shownAs.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${problem.source}\\n$`), what);
  assert.deepEqual(storeContents(root), before, `${what} changed the store`);
}

test('load of a cut-short or corrupt archive, plain, gzip or zstd, from a file or stdin', () => {
  const tar = readFileSync(ARCHIVE);
  const gz = gzipSync(tar);
  const zst = zstd(tar);
  const cases: Case[] = [
    { name: 'cut.tar.gz', data: gz.subarray(0, Math.floor(gz.length / 3)), problem: /the gzip stream ends early \(truncated file\?\)/ },
    { name: 'flipped.tar.gz', data: flipped(gz, 5000), problem: /corrupt gzip data: .+/ },
    { name: 'cut.tar.zst', data: zst.subarray(0, Math.floor(zst.length / 3)), problem: /the zstd stream ends early \(truncated file\?\)/ },
    { name: 'flipped.tar.zst', data: flipped(zst, 5000), problem: /corrupt zstd data: .+/ },
    { name: 'cut.tar', data: tar.subarray(0, 700_000), problem: /truncated tar archive: unexpected end of data in the body of tar entry "[0-9a-f]{64}\/layer\.tar" \(#\d+\): \d+ of \d+ bytes missing/ },
  ];
  const root = store();
  for (const c of cases) {
    const path = file(c.name, c.data);
    expectRefused(root, ['load', '-i', path], undefined, path, c.problem);
    expectRefused(root, ['load'], c.data, 'stdin', c.problem);
  }
});

test('import of a cut-short or corrupt root filesystem, plain, gzip or zstd, from a file or stdin', () => {
  const rootfs = join(dir, 'big-rootfs');
  mkdirSync(rootfs, { recursive: true });
  writeFileSync(join(rootfs, 'data'), randomBytes(3_000_000));
  const tar = execFileSync('tar', ['-C', rootfs, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 });
  const gz = gzipSync(tar);
  const zst = zstd(tar);
  // zstd compresses a few bytes of a tiny tree into one block: cut inside it, its output so
  // far is an empty, valid-looking tar. Only zstd's exit status says the input was cut.
  const tinyZst = zstd(execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', '-', '.']));
  const cases: Case[] = [
    { name: 'cut-rootfs.tar.gz', data: gz.subarray(0, Math.floor(gz.length / 2)), problem: /the gzip stream ends early \(truncated file\?\)/ },
    { name: 'flipped-rootfs.tar.gz', data: flipped(gz, 1000), problem: /corrupt gzip data: .+/ },
    { name: 'cut-rootfs.tar.zst', data: zst.subarray(0, Math.floor(zst.length / 2)), problem: /the zstd stream ends early \(truncated file\?\)/ },
    { name: 'cut-tiny.tar.zst', data: tinyZst.subarray(0, 40), problem: /the zstd stream ends early \(truncated file\?\)/ },
    { name: 'flipped-rootfs.tar.zst', data: flipped(zst, 1000), problem: /corrupt zstd data: .+/ },
    { name: 'cut-rootfs.tar', data: tar.subarray(0, 1_000_000), problem: /not a valid tar archive: truncated tar archive: unexpected end of data in the body of tar entry "\.\/data" \(#\d+\): \d+ of \d+ bytes missing/ },
  ];
  const root = store();
  for (const c of cases) {
    const path = file(c.name, c.data);
    expectRefused(root, ['import', path, 'damaged:1'], undefined, path, c.problem);
    expectRefused(root, ['import', '-', 'damaged:1'], c.data, 'stdin', c.problem);
  }
});

test('load and import of a directory say so', () => {
  const root = store();
  const before = storeContents(root);
  for (const args of [['load', '-i', dir], ['import', dir, 'x:1']]) {
    const r = strata(root, args);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `Error: read ${dir}: is a directory\n`);
  }
  assert.deepEqual(storeContents(root), before);
});

test('load of a gzip archive whose only damage is its checksum: the decoder says so, even though every tar entry read fine', () => {
  // Zeros after the archive's end, as tar pads to its record size (here well past it): the
  // reader stops at the end, long before the decoder reaches its check.
  const gz = gzipSync(Buffer.concat([readFileSync(ARCHIVE), Buffer.alloc(8 * 1024 * 1024)]));
  // The trailer's CRC32 (the 8 last bytes: CRC32, then the length): the bytes decode whole,
  // the archive's entries and end parse, and only gzip's own check at the very end fails.
  const badCrc = Buffer.from(gz);
  badCrc[badCrc.length - 8] = (badCrc[badCrc.length - 8] as number) ^ 0xff;
  const root = store();
  const path = file('bad-crc.tar.gz', badCrc);
  expectRefused(root, ['load', '-i', path], undefined, path, /corrupt gzip data: incorrect data check/);
  expectRefused(root, ['load'], badCrc, 'stdin', /corrupt gzip data: incorrect data check/);
});
