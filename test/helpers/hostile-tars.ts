// Hostile archives, built in code: each reproduces a published extraction attack (node-tar's
// 2021 advisories, docker cp's escapes) against a directory that an `outside` directory sits
// beside. Shared by the apply tests (test/unit/diff/hostile-tars.test.ts) and the `cp` tests
// (test/e2e/hostile-cp.test.ts), which apply every case and check what it left.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { encodeHeader, endOfArchive, paddingFor, type TarHeaderInit } from '../../src/internal/tar/index.ts';

export type HostileEntry = TarHeaderInit & { body?: string };

/** What a confined case must leave in the target: a path relative to it, and what is there. */
export type Landed =
  | { path: string; file: string }
  | { path: string; symlink: string }
  | { path: string; dir: true }
  | { path: string; absent: true };

export interface HostileCase {
  /** The advisory and the attack: the test's name. */
  title: string;
  /** The archive, aimed at `outside`: an absolute path beside the target, holding `secret`. */
  tar(outside: string): Buffer;
  /** The archive must be refused, with an error naming the entry (this matches the message). */
  refused?: RegExp;
  /** The archive applies, and every path it wrote is inside the target: these are there. */
  lands?(outside: string): Landed[];
}

const file = (name: string, body = 'pwned'): HostileEntry => ({ name, type: 'file', mode: 0o644, body });
const dir = (name: string): HostileEntry => ({ name, type: 'directory', mode: 0o755 });
const sym = (name: string, linkname: string): HostileEntry => ({ name, type: 'symlink', linkname });
const hard = (name: string, linkname: string): HostileEntry => ({ name, type: 'hardlink', linkname });

/** Target-relative path of `outside` recreated inside the target (absolute links are followed inside). */
const inside = (outside: string, rest: string): string => `${outside.replace(/^\/+/, '')}/${rest}`;

/** A tar of `entries`, each either an entry or raw blocks written as they are. */
export function hostileTar(entries: (HostileEntry | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (Buffer.isBuffer(e)) {
      parts.push(e);
      continue;
    }
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    parts.push(encodeHeader({ ...e, size: body?.length ?? 0 }));
    if (body !== undefined) parts.push(body, paddingFor(body.length));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

/** Regexp source of a literal. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The error names entry `name` (as JSON, the way apply quotes it). */
function names(name: string, why: string): RegExp {
  return new RegExp(`layer entry ${literal(JSON.stringify(name))}: .*${why}`);
}

function rewriteChecksum(block: Buffer): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

/**
 * GNU tar's long name ('L') or long link target ('K') meta entry: the next header's name
 * or link target is `value`, whatever its own (short, innocent-looking) field says.
 */
function gnuLong(flag: 'L' | 'K', value: string): Buffer {
  const body = Buffer.from(`${value}\0`);
  const header = Buffer.from(encodeHeader({ name: '././@LongLink', type: 'file', size: body.length }));
  header.write(flag, 156, 1, 'latin1');
  return Buffer.concat([rewriteChecksum(header), body, paddingFor(body.length)]);
}

/**
 * A PAX header whose `key` record says `value`, followed by `entry` (written with short
 * fields): readers that honour PAX see `value`, naive ones the ustar field.
 */
function paxOverride(key: 'path' | 'linkpath', value: string, entry: HostileEntry): Buffer {
  const record = (len: number): string => `${len} ${key}=${value}\n`;
  let len = record(0).length;
  while (record(len).length !== len) len = record(len).length;
  const body = Buffer.from(record(len));
  const header = Buffer.from(encodeHeader({ name: 'PaxHeaders/x', type: 'file', size: body.length }));
  header.write('x', 156, 1, 'latin1');
  const real = hostileTar([entry]).subarray(0, -1024);
  return Buffer.concat([rewriteChecksum(header), body, paddingFor(body.length), real]);
}

/** A file name under the host's /etc that a case writes to through a symlink to '/': it must never appear there. */
export const HOST_CANARY = 'strata-hostile-tar-canary';

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';
const LONG = 'n'.repeat(200);

export const HOSTILE_TARS: HostileCase[] = [
  // CVE-2021-32803: node-tar cached "d is a directory", so a symlink that replaced d was
  // written through. Here every entry resolves its parent afresh, inside the target.
  {
    title: 'CVE-2021-32803: a directory, then a symlink of that name to outside, then a file through it',
    tar: (o) => hostileTar([dir('d/'), file('d/before', 'b'), sym('d', o), file('d/pwn')]),
    lands: (o) => [{ path: 'd', symlink: o }, { path: inside(o, 'pwn'), file: 'pwned' }],
  },
  {
    title: 'CVE-2021-32803: a nested directory, its parent swapped for a symlink out, then a file in it',
    tar: (o) => hostileTar([dir('d/'), dir('d/sub/'), sym('d', o), file('d/sub/pwn')]),
    lands: (o) => [{ path: 'd', symlink: o }, { path: inside(o, 'sub/pwn'), file: 'pwned' }],
  },
  {
    title: 'CVE-2021-32803: the symlink spelt ./d and d/., then files through d/ and ./d',
    tar: (o) => hostileTar([dir('./d/'), sym('./d', o), file('d/pwn'), sym('d/.', o), file('./d/pwn2')]),
    lands: (o) => [{ path: 'd', symlink: o }, { path: inside(o, 'pwn'), file: 'pwned' }, { path: inside(o, 'pwn2'), file: 'pwned' }],
  },
  {
    title: 'CVE-2021-32803: a relative symlink that climbs out replaces the directory',
    tar: () => hostileTar([dir('d/'), sym('d', '../outside'), file('d/pwn')]),
    refused: names('d', 'symlink target "\\.\\./outside" points outside the layer root'),
  },
  {
    title: 'CVE-2021-32803: a hardlink replaces the directory, then a file through it',
    tar: () => hostileTar([file('f', 'f'), dir('d/'), hard('d', 'f'), file('d/pwn')]),
    refused: names('d/pwn', '"d" is not a directory'),
  },
  // CVE-2021-32804: node-tar stripped one leading '/' of '////x', leaving an absolute path.
  {
    title: 'CVE-2021-32804: an absolute name with repeated slashes lands inside',
    tar: (o) => hostileTar([file(`////${o}/secret`), file(`//.//${o}//pwn`)]),
    lands: (o) => [{ path: inside(o, 'secret'), file: 'pwned' }, { path: inside(o, 'pwn'), file: 'pwned' }],
  },
  {
    title: 'CVE-2021-32804: drive-like prefixes are plain names on Linux',
    tar: (o) => hostileTar([file('c:../pwn'), file(`C:${o}/pwn`), file('C:\\..\\..\\pwn'), file('\\\\?\\C:\\pwn')]),
    lands: (o) => [
      { path: 'c:../pwn', file: 'pwned' },
      { path: `C:${o}/pwn`, file: 'pwned' },
      { path: 'C:\\..\\..\\pwn', file: 'pwned' },
      { path: '\\\\?\\C:\\pwn', file: 'pwned' },
    ],
  },
  {
    title: 'CVE-2021-32804: a drive-like name whose ".." climbs out is refused',
    tar: () => hostileTar([file('C:/../../outside/pwn')]),
    refused: names('C:/../../outside/pwn', "escapes the layer root with '\\.\\.'"),
  },
  {
    title: 'CVE-2021-32804: a symlink and a hardlink to outside with repeated slashes',
    tar: (o) => hostileTar([sym('s', `////${o}`), file('s/pwn'), hard('h', `////${o}/secret`)]),
    refused: names('h', 'does not exist'),
  },
  // CVE-2021-37701: node-tar split names at '\' on Linux too, so a directory and a symlink
  // could collide under two spellings. On Linux '\' is an ordinary byte of one name.
  {
    title: 'CVE-2021-37701: a\\b is one name: its directory, its symlink out, a file through it',
    tar: (o) => hostileTar([dir('a\\b/'), sym('a\\b', o), file('a\\b/pwn')]),
    lands: (o) => [{ path: 'a\\b', symlink: o }, { path: inside(o, 'pwn'), file: 'pwned' }, { path: 'a', absent: true }],
  },
  {
    title: 'CVE-2021-37701: directory a/b, then a symlink a\\b out: a/b stays a directory',
    tar: (o) => hostileTar([dir('a/'), dir('a/b/'), sym('a\\b', o), file('a/b/pwn')]),
    lands: (o) => [{ path: 'a/b', dir: true }, { path: 'a/b/pwn', file: 'pwned' }, { path: 'a\\b', symlink: o }],
  },
  {
    title: 'CVE-2021-37701: ..\\..\\ is no traversal on Linux',
    tar: () => hostileTar([file('..\\..\\outside\\secret'), sym('..\\x', '..\\..\\outside')]),
    lands: () => [{ path: '..\\..\\outside\\secret', file: 'pwned' }, { path: '..\\x', symlink: '..\\..\\outside' }],
  },
  // CVE-2021-37712: node-tar's cache folded case and unicode normalisation, so two spellings
  // of one name bypassed its symlink check. strata compares names byte for byte.
  {
    title: 'CVE-2021-37712: NFC and NFD spellings of café are two names; the NFD symlink leads inside',
    tar: (o) => hostileTar([dir(`${NFC}/`), sym(NFD, o), file(`${NFC}/pwn`), file(`${NFD}/pwn2`)]),
    lands: (o) => [{ path: NFC, dir: true }, { path: `${NFC}/pwn`, file: 'pwned' }, { path: NFD, symlink: o }, { path: inside(o, 'pwn2'), file: 'pwned' }],
  },
  {
    title: 'CVE-2021-37712: Dir, dir and DIR are three names; the symlink leads inside',
    tar: (o) => hostileTar([dir('Dir/'), sym('dir', o), file('DIR/x', 'x'), file('Dir/pwn'), file('dir/pwn2')]),
    lands: (o) => [{ path: 'Dir/pwn', file: 'pwned' }, { path: 'DIR/x', file: 'x' }, { path: 'dir', symlink: o }, { path: inside(o, 'pwn2'), file: 'pwned' }],
  },
  {
    title: 'CVE-2021-37712: long path portions naming one directory (x/y/../y) before and after it is a symlink',
    tar: (o) => hostileTar([dir('x/'), dir('x/y/'), sym('x/y/../y', o), file('x/./y/pwn'), file('x/y/z/../../y/pwn2')]),
    lands: (o) => [{ path: 'x/y', symlink: o }, { path: inside(o, 'pwn'), file: 'pwned' }, { path: inside(o, 'pwn2'), file: 'pwned' }],
  },
  // CVE-2021-37713: '..' hidden where a check does not look: after a long component, in
  // extension headers (PAX, GNU long names) behind an innocent ustar field, in the prefix field.
  {
    title: "CVE-2021-37713: '..' after a long component climbs out",
    tar: () => hostileTar([file(`${LONG}/../../outside/pwn`)]),
    refused: names(`${LONG}/../../outside/pwn`, "escapes the layer root with '\\.\\.'"),
  },
  {
    title: "CVE-2021-37713: a PAX path with '..' behind an innocent ustar name",
    tar: () => hostileTar([paxOverride('path', '../outside/pwn', file('innocent'))]),
    refused: names('../outside/pwn', "escapes the layer root with '\\.\\.'"),
  },
  {
    title: "CVE-2021-37713: a GNU long name with '..' behind an innocent ustar name",
    tar: () => hostileTar([gnuLong('L', `${LONG}/../../outside/pwn`), file('innocent')]),
    refused: names(`${LONG}/../../outside/pwn`, "escapes the layer root with '\\.\\.'"),
  },
  {
    title: "CVE-2021-37713: a GNU long link target with '..' behind an innocent ustar one",
    tar: () => hostileTar([file('innocent', 'i'), gnuLong('K', '../outside/secret'), hard('h', 'innocent')]),
    refused: names('h', 'hardlink target "\\.\\./outside/secret" points outside the layer root'),
  },
  {
    title: "CVE-2021-37713: a PAX linkpath that climbs out behind an innocent ustar one",
    tar: () => hostileTar([paxOverride('linkpath', '../../outside', sym('s', 'innocent'))]),
    refused: names('s', 'symlink target "\\.\\./\\.\\./outside" points outside the layer root'),
  },
  {
    title: "CVE-2021-37713: '..' in the ustar prefix field",
    tar: () => hostileTar([file(`../${'p'.repeat(99)}`)]),
    refused: names(`../${'p'.repeat(99)}`, "escapes the layer root with '\\.\\.'"),
  },
  {
    title: "CVE-2021-37713: names that only look like '..' are names",
    tar: () => hostileTar([file('...', '3'), file('..a', 'a'), file('a..', 'b'), file('.. ', 's'), file(`${'n'.repeat(255)}/../ok`, 'ok')]),
    lands: () => [{ path: '...', file: '3' }, { path: '..a', file: 'a' }, { path: 'a..', file: 'b' }, { path: '.. ', file: 's' }, { path: 'ok', file: 'ok' }],
  },
  // CVE-2019-14271-style `docker cp`: what a container hands over must not reach the host.
  {
    title: 'cp: a hardlink to a file outside the destination (relative)',
    tar: () => hostileTar([hard('h', '../outside/secret')]),
    refused: names('h', 'hardlink target "\\.\\./outside/secret" points outside the layer root'),
  },
  {
    title: 'cp: a hardlink to a file outside the destination (absolute), and through a symlink out',
    tar: (o) => hostileTar([sym('s', o), hard('h', 's/secret'), hard('h2', `${o}/secret`)]),
    refused: names('h', 'does not exist'),
  },
  {
    title: 'cp: a symlink to / and files written through it land in the destination',
    tar: (o) => hostileTar([sym('root', '/'), file(`root/${o}/secret`), dir('root/etc/'), file(`root/etc/${HOST_CANARY}`)]),
    lands: (o) => [{ path: 'root', symlink: '/' }, { path: inside(o, 'secret'), file: 'pwned' }, { path: `etc/${HOST_CANARY}`, file: 'pwned' }],
  },
];

/** Asserts that what a case says landed is in the target, as it says. */
export function checkLanded(target: string, landed: Landed[]): void {
  for (const l of landed) {
    const path = join(target, l.path);
    if ('absent' in l) {
      assert.equal(existsSync(path), false, `${l.path} is absent`);
      continue;
    }
    const st = lstatSync(path, { throwIfNoEntry: false });
    assert.ok(st !== undefined, `${l.path} exists`);
    if ('file' in l) {
      assert.ok(st.isFile(), `${l.path} is a file`);
      assert.equal(readFileSync(path, 'utf8'), l.file, `${l.path}'s content`);
    } else if ('symlink' in l) {
      assert.ok(st.isSymbolicLink(), `${l.path} is a symlink`);
      assert.equal(readlinkSync(path), l.symlink, `${l.path}'s target`);
    } else {
      assert.ok(st.isDirectory(), `${l.path} is a directory`);
    }
  }
}
