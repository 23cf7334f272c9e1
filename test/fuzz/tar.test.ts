// Fuzzing the tar codec (src/internal/tar/): what the encoder writes parses back field for field
// (long names, PAX records, base-256 numbers, xattrs, names that are not UTF-8) and GNU tar lists
// it the same way; what GNU tar writes in each of its formats parses to the files it was made
// from; and random or mutated bytes give the same outcome however the stream is cut, which is an
// entry list or a StrataError (invalid-argument or data-loss), never another exception.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, lutimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { isStrataError } from '../../src/errdefs/index.ts';
import { encodeHeader, endOfArchive, paddingFor, readTarEntries } from '../../src/internal/tar/index.ts';
import type { TarHeaderInit } from '../../src/internal/tar/index.ts';
import { parseAll } from '../unit/tar/tar-helpers.ts';
import type { ParsedEntry } from '../unit/tar/tar-helpers.ts';
import { fuzzParams, fuzzTests } from '../helpers/fuzz.ts';

// ---- generated entries ----

const nameChar = fc.constantFrom('a', 'b', 'z', '0', '.', '-', '_', ' ', 'é', 'ü', '日', '\u{1f600}');
const component = fc.array(nameChar, { minLength: 1, maxLength: 12 }).map((a) => a.join('')).filter((c) => c !== '.' && c !== '..');
/** Short names, names that need the ustar prefix, and names past 255 bytes (PAX). */
const entryName = fc.oneof(
  { weight: 3, arbitrary: fc.array(component, { minLength: 1, maxLength: 4 }).map((c) => c.join('/')) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 120 }), component).map(([a, b, c]) => `${'d'.repeat(a)}/${'e'.repeat(b)}/${c}`) },
  { weight: 1, arbitrary: fc.integer({ min: 90, max: 400 }).map((n) => 'n'.repeat(n)) },
);
/** Ids and device numbers around each encoding's limits: octal, PAX (ids), base-256 (devices). */
const bigNumber = fc.oneof(
  fc.integer({ min: 0, max: 0o7777777 }),
  fc.constantFrom(0o7777777, 0o7777777 + 1, 2 ** 32 - 1, 2 ** 40),
  fc.integer({ min: 0, max: 2 ** 48 }),
);
/** Integer and binary-fraction times (exact in nine decimals), negative and past the octal field. */
const mtime = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 33 - 1 }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.tuple(fc.integer({ min: -(2 ** 34), max: 2 ** 34 }), fc.integer({ min: 1, max: 255 })).map(([s, f]) => s + f / 256),
);
const recordKey = fc.oneof(fc.constantFrom('comment', 'atime', 'ctime', 'LIBARCHIVE.creationtime', 'vendor.key'), fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !/[=\0]/.test(k) && !/^(path|linkpath|size|uid|gid|mtime|uname|gname|hdrcharset)$/.test(k) && !k.startsWith('SCHILY.') && !k.startsWith('GNU.sparse') && !k.startsWith('LIBARCHIVE.xattr.')));
const xattrName = fc.oneof(fc.constantFrom('user.a', 'security.capability', 'trusted.x'), fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !/[=\0]/.test(k)));
const binary = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));

interface GeneratedEntry {
  header: TarHeaderInit;
  body: Buffer;
}

const generatedEntry: fc.Arbitrary<GeneratedEntry> = fc.record({
  name: entryName,
  rawName: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a.map((b) => (b === 0 ? 1 : b)))), { freq: 8 }),
  type: fc.constantFrom('file', 'file', 'directory', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'unknown'),
  typeflag: fc.constantFrom('A', 'D', 'M', 'N', 'V', 'Z', '9'),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  uid: bigNumber,
  gid: bigNumber,
  mtime,
  linkname: fc.oneof(entryName, fc.constant('')),
  uname: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }).filter((s) => !s.includes('\0'))),
  gname: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }).filter((s) => !s.includes('\0'))),
  devmajor: bigNumber,
  devminor: bigNumber,
  xattrs: fc.array(fc.tuple(xattrName, binary), { maxLength: 3 }),
  pax: fc.array(fc.tuple(recordKey, binary.filter((b) => b.length > 0)), { maxLength: 2 }),
  body: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a)),
}).map((g) => {
  const header: TarHeaderInit = { name: g.name, type: g.type, mode: g.mode, uid: g.uid, gid: g.gid, mtime: g.mtime };
  if (g.rawName !== null) header.nameBytes = g.rawName;
  if (g.type === 'unknown') header.typeflag = g.typeflag;
  if (g.type === 'symlink' || g.type === 'hardlink') header.linkname = g.linkname || 'target';
  if (g.uname !== '') header.uname = g.uname;
  if (g.gname !== '') header.gname = g.gname;
  if (g.type === 'char' || g.type === 'block') {
    header.devmajor = g.devmajor;
    header.devminor = g.devminor;
  }
  if (g.xattrs.length > 0) header.xattrs = new Map(g.xattrs);
  if (g.pax.length > 0) header.pax = new Map(g.pax);
  const hasBody = g.type === 'file' || g.type === 'unknown';
  header.size = hasBody ? g.body.length : 0;
  return { header, body: hasBody ? g.body : Buffer.alloc(0) };
});

function encodeArchive(entries: GeneratedEntry[]): Buffer {
  return Buffer.concat([...entries.flatMap(({ header, body }) => [encodeHeader(header), body, paddingFor(body.length)]), endOfArchive()]);
}

/** What the parser must give back for an entry the encoder wrote. */
function checkRoundTrip(want: GeneratedEntry, got: ParsedEntry): void {
  const h = want.header;
  const nameBytes = h.nameBytes ?? Buffer.from(h.name, 'utf8');
  const linkBytes = Buffer.from(h.linkname ?? '', 'utf8');
  const at = JSON.stringify(h.name);
  assert.deepEqual(got.header.nameBytes, nameBytes, `${at}: name`);
  assert.equal(got.header.name, nameBytes.toString('utf8'), `${at}: decoded name`);
  assert.equal(got.header.type, h.type, `${at}: type`);
  if (h.type === 'unknown') assert.equal(got.header.typeflag, h.typeflag);
  assert.equal(got.header.mode, h.mode, `${at}: mode`);
  assert.equal(got.header.uid, h.uid, `${at}: uid`);
  assert.equal(got.header.gid, h.gid, `${at}: gid`);
  assert.equal(got.header.mtime, h.mtime, `${at}: mtime`);
  assert.equal(got.header.size, want.body.length, `${at}: size`);
  assert.deepEqual(got.body, want.body, `${at}: body`);
  assert.deepEqual(got.header.linknameBytes, linkBytes, `${at}: link target`);
  assert.equal(got.header.uname, h.uname ?? '', `${at}: uname`);
  assert.equal(got.header.gname, h.gname ?? '', `${at}: gname`);
  assert.equal(got.header.devmajor, h.devmajor ?? 0, `${at}: devmajor`);
  assert.equal(got.header.devminor, h.devminor ?? 0, `${at}: devminor`);
  assert.deepEqual(got.header.xattrs, h.xattrs ?? new Map(), `${at}: xattrs`);
  const pax = new Map(h.pax ?? []);
  if (!isUtf8Name(nameBytes)) pax.set('hdrcharset', Buffer.from('BINARY'));
  assert.deepEqual(got.header.pax, pax, `${at}: other PAX records`);
}

function isUtf8Name(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** The outcome of parsing, as text: the entries' headers and bodies, or the error. Anything but a StrataError fails. */
function outcome(input: Buffer, chunk: number): string {
  try {
    return JSON.stringify(parseAll(input, chunk).map(({ header, body }) => ({
      ...header, nameBytes: header.nameBytes.toString('hex'), linknameBytes: header.linknameBytes.toString('hex'),
      xattrs: [...header.xattrs].map(([k, v]) => [k, v.toString('hex')]), pax: [...header.pax].map(([k, v]) => [k, v.toString('hex')]),
      body: body.toString('hex'),
    })));
  } catch (err) {
    if (!isStrataError(err)) throw err;
    assert.ok(err.code === 'invalid-argument' || err.code === 'data-loss', `${err.code}: ${err.message}`);
    return `${err.code}: ${err.message}`;
  }
}

// ---- GNU tar as the oracle ----

function gnuTar(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tar', args, { input, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

const MODE_CHARS = 'rwxrwxrwx';

/** `tar -tv`'s mode column: type letter, then rwx with s/S/t/T for setuid, setgid, sticky. */
function modeString(type: string, mode: number): string {
  const letter = { file: '-', directory: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p' }[type] ?? '-';
  const bits = [...MODE_CHARS].map((c, i) => ((mode >> (8 - i)) & 1 ? c : '-'));
  const special = (i: number, bit: number, lower: string, upper: string): void => {
    if (mode & bit) bits[i] = bits[i] === '-' ? upper : lower;
  };
  special(2, 0o4000, 's', 'S');
  special(5, 0o2000, 's', 'S');
  special(8, 0o1000, 't', 'T');
  return letter + bits.join('');
}

function utcTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

/** Names GNU tar prints unchanged with --quoting-style=literal (printable UTF-8, no backslash). */
const listableName = fc.array(fc.array(fc.constantFrom('a', 'b', '0', '.', '-', '_', 'é', '日'), { minLength: 1, maxLength: 12 }).map((a) => a.join('')).filter((c) => c !== '.' && c !== '..'), { minLength: 1, maxLength: 3 })
  .chain((parts) => fc.integer({ min: 0, max: 250 }).map((pad) => (pad > 0 ? [`${'p'.repeat(pad)}`, ...parts] : parts).join('/')));

const listableEntry: fc.Arbitrary<GeneratedEntry> = fc.record({
  name: listableName,
  type: fc.constantFrom('file', 'directory', 'symlink', 'hardlink', 'char', 'block', 'fifo'),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  uid: fc.oneof(fc.integer({ min: 0, max: 0o7777777 }), fc.integer({ min: 0, max: 2 ** 32 - 2 })),
  gid: fc.oneof(fc.integer({ min: 0, max: 0o7777777 }), fc.integer({ min: 0, max: 2 ** 32 - 2 })),
  mtime: fc.integer({ min: -(2 ** 31), max: 2 ** 34 }),
  linkname: listableName,
  // GNU tar reads device numbers into a signed 32-bit int.
  devmajor: fc.oneof(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
  devminor: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
  body: fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)),
}).map((g) => {
  const header: TarHeaderInit = { name: g.name, type: g.type, mode: g.mode, uid: g.uid, gid: g.gid, mtime: g.mtime };
  if (g.type === 'symlink' || g.type === 'hardlink') header.linkname = g.linkname;
  if (g.type === 'char' || g.type === 'block') {
    header.devmajor = g.devmajor;
    header.devminor = g.devminor;
  }
  header.size = g.type === 'file' ? g.body.length : 0;
  return { header, body: g.type === 'file' ? g.body : Buffer.alloc(0) };
});

/** The line `tar -tv --numeric-owner --utc --full-time --quoting-style=literal` prints for an entry. */
function expectedListing({ header: h, body }: GeneratedEntry): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const size = h.type === 'char' || h.type === 'block' ? `${h.devmajor},${h.devminor}` : String(body.length);
  const link = h.type === 'symlink' ? ` -> ${esc(h.linkname!)}` : h.type === 'hardlink' ? ` link to ${esc(h.linkname!)}` : '';
  return new RegExp(`^${esc(modeString(h.type, h.mode!))} ${h.uid}/${h.gid} +${esc(size)} ${esc(utcTime(h.mtime!))} ${esc(h.name)}${link}$`);
}

// ---- GNU tar writing: real files with generated metadata ----

const FORMATS = ['gnu', 'oldgnu', 'pax', 'ustar', 'v7'] as const;
type Format = (typeof FORMATS)[number];

interface DiskEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'fifo' | 'hardlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  target: string;
  body: Buffer;
}

/** What each format can hold: v7 and ustar have small octal ids and short names; the others have no limit here. */
function diskEntry(format: Format): fc.Arbitrary<DiskEntry> {
  const small = format === 'v7' || format === 'ustar';
  const id = small ? fc.integer({ min: 0, max: 0o7777777 }) : fc.oneof(fc.integer({ min: 0, max: 0o7777777 }), fc.integer({ min: 0, max: 2 ** 32 - 2 }));
  // ext4 keeps times from 1901 to 2446; past the octal field's 2^33 - 1 GNU tar writes base-256 or PAX.
  const time = small ? fc.integer({ min: 0, max: 2 ** 33 - 1 }) : fc.integer({ min: -(2 ** 31), max: 15_032_385_535 });
  const segment = fc.array(fc.constantFrom('a', 'b', '0', '_', '-', 'é'), { minLength: 1, maxLength: small ? 8 : 60 }).map((a) => a.join(''));
  return fc.record({
    path: fc.array(segment, { minLength: 1, maxLength: small ? 3 : 6 }).map((s) => s.join('/')),
    // v7 has no typeflag for a FIFO (GNU tar skips it).
    type: format === 'v7' ? fc.constantFrom('file', 'file', 'directory', 'symlink', 'hardlink') : fc.constantFrom('file', 'file', 'directory', 'symlink', 'fifo', 'hardlink'),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: id,
    gid: id,
    mtime: time,
    target: segment,
    body: fc.uint8Array({ maxLength: 1200 }).map((a) => Buffer.from(a)),
  });
}

/** Makes the entries under `root` (later ones whose path is taken are dropped); returns those made. */
function makeTree(root: string, entries: DiskEntry[]): DiskEntry[] {
  const made: DiskEntry[] = [];
  const taken = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    // A path already made, or below something that is not a directory we made, is skipped.
    if (prefixes.some((p, i) => (i < parts.length - 1 ? taken.has(p) && !made.some((m) => m.path === p && m.type === 'directory') : taken.has(p)))) continue;
    const full = join(root, e.path);
    mkdirSync(dirname(full), { recursive: true });
    for (const p of prefixes.slice(0, -1)) taken.add(p);
    const firstFile = made.find((m) => m.type === 'file');
    if (e.type === 'hardlink' && firstFile === undefined) continue;
    if (e.type === 'file') writeFileSync(full, e.body);
    else if (e.type === 'directory') mkdirSync(full);
    else if (e.type === 'symlink') symlinkSync(e.target, full);
    else if (e.type === 'fifo') spawnSync('mkfifo', [full]);
    else linkSync(join(root, firstFile!.path), full);
    taken.add(e.path);
    made.push(e.type === 'hardlink' ? { ...e, target: firstFile!.path } : e);
  }
  // Metadata last, deepest first, so making a child never changes a parent's mtime afterwards.
  for (const e of [...made].reverse()) {
    const full = join(root, e.path);
    if (e.type === 'hardlink') continue;
    lchownSync(full, e.uid, e.gid);
    if (e.type !== 'symlink') chmodSync(full, e.mode);
    // Node takes a negative time for "now"; touch sets it.
    if (e.mtime >= 0) lutimesSync(full, e.mtime, e.mtime);
    else assert.equal(spawnSync('touch', ['-h', '-d', `@${e.mtime}`, full]).status, 0);
  }
  return made;
}

// ---- mutations of valid archives ----

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'dupBlock'; at: number }
  | { op: 'dropBlock'; at: number }
  | { op: 'field'; block: number; field: number; text: string; resign: boolean };

/** Numeric and string fields of a header (start, width), to overwrite with garbage. */
const FIELDS: [number, number][] = [[0, 100], [100, 8], [108, 8], [116, 8], [124, 12], [136, 12], [156, 1], [157, 100], [257, 8], [329, 8], [337, 8], [345, 155]];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('byte' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dupBlock' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dropBlock' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('field' as const),
    block: fc.nat(),
    field: fc.nat(FIELDS.length - 1),
    text: fc.oneof(
      fc.constantFrom('', ' ', '\0', '7777777777777777', '-1', '0x10', '\x80\0\0\0\0\0\0\x01', '\xff\xff\xff\xff\xff\xff\xff\xff', '\x80\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', 'x', 'L', 'K', 'g', 'S', '5', 'ustar\0', 'ustar  \0', '99999999999'),
      fc.string({ unit: 'binary', maxLength: 12 }),
    ),
    resign: fc.boolean(),
  }),
);

function resign(buf: Buffer, off: number): void {
  const blk = buf.subarray(off, off + 512);
  blk.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of blk) sum += b;
  blk.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}

function mutateArchive(base: Buffer, muts: Mutation[]): Buffer {
  let buf = Buffer.from(base);
  const blocks = (): number => Math.max(1, Math.floor(buf.length / 512));
  for (const m of muts) {
    if (buf.length === 0) break;
    switch (m.op) {
      case 'flip':
        buf[m.at % buf.length] = buf[m.at % buf.length]! ^ (1 << m.bit);
        break;
      case 'byte':
        buf[m.at % buf.length] = m.value;
        break;
      case 'truncate':
        buf = buf.subarray(0, m.at % (buf.length + 1));
        break;
      case 'dupBlock': {
        const b = (m.at % blocks()) * 512;
        buf = Buffer.concat([buf.subarray(0, b + 512), buf.subarray(b, b + 512), buf.subarray(b + 512)]);
        break;
      }
      case 'dropBlock': {
        const b = (m.at % blocks()) * 512;
        buf = Buffer.concat([buf.subarray(0, b), buf.subarray(b + 512)]);
        break;
      }
      case 'field': {
        const off = (m.block % blocks()) * 512;
        if (off + 512 > buf.length) break;
        const [start, width] = FIELDS[m.field]!;
        buf.fill(0, off + start, off + start + width);
        Buffer.from(m.text, 'latin1').copy(buf, off + start, 0, width);
        if (m.resign) resign(buf, off);
        break;
      }
    }
  }
  return buf;
}

fuzzTests(import.meta.url, {
  'fuzz: encode → parse gives every field back (long names, PAX records, base-256 numbers, xattrs), however the stream is cut': () => {
    fc.assert(fc.property(fc.array(generatedEntry, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 1100 }), (entries, chunk) => {
      const archive = encodeArchive(entries);
      const parsed = parseAll(archive, chunk);
      assert.equal(parsed.length, entries.length);
      entries.forEach((e, i) => checkRoundTrip(e, parsed[i]!));
    }), fuzzParams(500));
  },

  'fuzz: GNU tar lists what the encoder writes, field for field': () => {
    fc.assert(fc.property(fc.array(listableEntry, { minLength: 1, maxLength: 6 }), (entries) => {
      const r = gnuTar(['-tv', '--numeric-owner', '--utc', '--full-time', '--quoting-style=literal', '-f', '-'], encodeArchive(entries));
      assert.equal(r.stderr, '', 'GNU tar complained');
      assert.equal(r.status, 0);
      const lines = r.stdout.replace(/\n$/, '').split('\n');
      assert.equal(lines.length, entries.length, r.stdout);
      entries.forEach((e, i) => assert.match(lines[i]!, expectedListing(e)));
    }), fuzzParams(200));
  },

  'fuzz: what GNU tar writes (gnu, oldgnu, pax, ustar, v7 formats) parses to the files it was made from': () => {
    const format = fc.constantFrom(...FORMATS);
    fc.assert(fc.property(format.chain((f) => fc.tuple(fc.constant(f), fc.array(diskEntry(f), { minLength: 1, maxLength: 6 }))), fc.integer({ min: 1, max: 1100 }), ([f, entries], chunk) => {
      const root = mkdtempSync(join(tmpdir(), 'strata-fuzz-tar-'));
      try {
        const made = makeTree(root, entries);
        fc.pre(made.length > 0);
        const r = spawnSync('tar', [`--format=${f}`, '--numeric-owner', '--no-recursion', '-b', '1', '-cf', '-', '-C', root, '--', ...made.map((m) => m.path)], { maxBuffer: 1 << 26 });
        assert.equal(r.status, 0, r.stderr.toString());
        const parsed = new Map(parseAll(r.stdout, chunk).map((p) => [p.header.name.replace(/\/$/, ''), p]));
        for (const m of made) {
          const p = parsed.get(m.path);
          assert.ok(p, `${f}: ${m.path} missing from ${[...parsed.keys()].join(', ')}`);
          const h = p.header;
          const type = m.type === 'hardlink' ? 'hardlink' : m.type;
          // v7 has no directory, FIFO or device typeflags: GNU tar writes them as files or skips them.
          if (f !== 'v7' || type === 'file' || type === 'symlink' || type === 'hardlink') assert.equal(h.type, type, `${f}: ${m.path} type`);
          if (type === 'hardlink' || type === 'symlink') assert.equal(h.linkname, m.target, `${f}: ${m.path} link target`);
          if (type === 'hardlink') continue;
          assert.equal(h.uid, m.uid, `${f}: ${m.path} uid`);
          assert.equal(h.gid, m.gid, `${f}: ${m.path} gid`);
          assert.equal(h.mtime, m.mtime, `${f}: ${m.path} mtime`);
          if (type !== 'symlink') assert.equal(h.mode, m.mode, `${f}: ${m.path} mode`);
          if (type === 'file') assert.deepEqual(p.body, m.body, `${f}: ${m.path} body`);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }), fuzzParams(100));
  },

  'fuzz: random bytes give only StrataErrors, the same however the stream is cut': () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.integer({ min: 1, max: 1024 }), (bytes, chunk) => {
      const input = Buffer.from(bytes);
      assert.equal(outcome(input, chunk), outcome(input, input.length || 1));
    }), fuzzParams(300));
  },

  'fuzz: mutated archives (bit flips, truncation, duplicated or dropped blocks, garbage fields) give the same outcome however cut, and only StrataErrors': () => {
    fc.assert(fc.property(fc.array(generatedEntry, { minLength: 1, maxLength: 4 }), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 700 }), (entries, muts, chunk) => {
      const input = mutateArchive(encodeArchive(entries), muts);
      assert.equal(outcome(input, chunk), outcome(input, input.length || 1));
    }), fuzzParams(1000));
  },

  'fuzz: the entry iterator over mutated archives yields entries or a StrataError': async () => {
    await fc.assert(fc.asyncProperty(fc.array(generatedEntry, { minLength: 1, maxLength: 3 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 700 }), async (entries, muts, chunk) => {
      const input = mutateArchive(encodeArchive(entries), muts);
      async function* chunks(): AsyncGenerator<Buffer> {
        for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk);
      }
      try {
        let n = 0;
        for await (const entry of readTarEntries(chunks())) {
          // Read every other body, skip the rest: both paths must cope.
          if (n++ % 2 === 0) for await (const _ of entry.body) { /* drain */ }
        }
      } catch (err) {
        assert.ok(isStrataError(err) && (err.code === 'invalid-argument' || err.code === 'data-loss'), String(err));
      }
    }), fuzzParams(300));
  },
});
