// docs/DURABILITY.md's order of writes, seen from outside: the real CLI runs under strace and
// the order of the syscalls that matter is asserted (their order, not their counts).
//   a blob:       write(s) to its ingest file → fsync of it → link into blobs/ → fsync of
//                 blobs/sha256 → unlink of the ingest file
//   index.json:   write to a temp file → fsync of it → rename over index.json → fsync of content/
//   a load:       every blob fsynced and linked → the SQLite commit of the image records (the
//                 commit frame SQLite appends to metadata.db-wal) → index.json
// SQLite writes its WAL with pwrite64, so that call is traced beside the ones the contract names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { STRATA_BIN, strataOk } from '../helpers/strata-cli.ts';

const ARCHIVE = new URL('../fixtures/docker-save/three-images.tar', import.meta.url).pathname;
const TRACED = 'openat,write,pwrite64,fsync,fdatasync,link,linkat,rename,renameat,renameat2,unlink,unlinkat';
const hasStrace = spawnSync('strace', ['-V']).status === 0;
const skip = hasStrace ? false : 'strace is not installed (scripts/setup.sh --test installs it)';

interface Call {
  /** Position in the trace. */
  at: number;
  name: string;
  /** The file behind the fd argument (strace -y), for fd-based calls. */
  fd?: string;
  /** The path arguments (link, rename, unlink, openat), decoded. */
  paths: string[];
  /** The bytes written (as much as strace showed). */
  data?: Buffer;
  failed: boolean;
}

/** Decodes a C string as strace prints it (\n, \", \\, octal and hex escapes). */
function decode(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '\\') {
      out.push(...Buffer.from(c));
      continue;
    }
    const next = text[++i] as string;
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92 };
    if (next in simple) out.push(simple[next] as number);
    else if (next === 'x') {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const octal = /^[0-7]{1,3}/.exec(text.slice(i))?.[0] ?? '0';
      out.push(parseInt(octal, 8));
      i += octal.length - 1;
    }
  }
  return Buffer.from(out);
}

/** The quoted strings of a call's arguments, in order. */
function quoted(args: string): string[] {
  return [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string);
}

function parseTrace(file: string): Call[] {
  const calls: Call[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    // `<... write resumed>` ends a call already listed where it began.
    const m = /^\d+\s+(\w+)\((.*)$/.exec(line);
    if (!m) continue;
    const [, name, args] = m as unknown as [string, string, string];
    const fd = /^\d+<([^>]*)>/.exec(args)?.[1];
    const strings = quoted(args);
    const call: Call = { at: calls.length, name, paths: [], failed: /\) = -1 /.test(args) };
    if (fd !== undefined) call.fd = fd;
    if (name === 'write' || name === 'pwrite64') call.data = decode(strings[0] ?? '');
    else call.paths = strings.map((s) => decode(s).toString());
    calls.push(call);
  }
  return calls;
}

/** Runs the CLI under strace; returns the calls it made. */
function traced(root: string, args: string[]): Call[] {
  const file = join(tempDir('strata-strace-'), 'trace');
  const r = spawnSync('strace', ['-f', '-qq', '-y', '-s', '8192', '-e', `trace=${TRACED}`, '-o', file, STRATA_BIN, ...args], {
    env: { ...process.env, STRATA_ROOT: root },
  });
  assert.equal(r.status, 0, r.stderr.toString());
  return parseTrace(file);
}

const first = (calls: Call[], from: number, match: (c: Call) => boolean): Call | undefined => calls.slice(from).find(match);
const last = (calls: Call[], before: number, match: (c: Call) => boolean): Call | undefined => calls.slice(0, before).reverse().find(match);

/** The commit frame SQLite appends to the WAL for the transaction that wrote `marker` into a page. */
function commitWriting(calls: Call[], wal: string, marker: string): Call {
  const isFrameHeader = (c: Call): boolean => c.name === 'pwrite64' && c.fd === wal && c.data?.length === 24;
  const page = first(calls, 0, (c) => c.name === 'pwrite64' && c.fd === wal && c.data !== undefined && c.data.includes(marker));
  assert.ok(page, `no WAL page holds ${marker}`);
  const header = last(calls, page.at, isFrameHeader);
  assert.ok(header, 'a WAL page is written after its frame header');
  // A frame header's second word is the database size after a commit, 0 in other frames.
  const commit = first(calls, header.at, (c) => isFrameHeader(c) && (c.data as Buffer).readUInt32BE(4) !== 0);
  assert.ok(commit, `the transaction that wrote ${marker} commits`);
  return commit;
}

let root = '';
let load: Call[] = [];

// One store for the file (a hook's own clean-up would run as soon as the hook ends).
const storeDir = mkdtempSync(join(tmpdir(), 'strata-order-'));
after(() => rmSync(storeDir, { recursive: true, force: true }));

before(() => {
  if (!hasStrace) return;
  root = join(storeDir, 'store');
  // The store exists first, so that what the trace shows is the load's own work.
  strataOk(root, ['images']);
  load = traced(root, ['load', '-i', ARCHIVE]);
});

test('a blob: written to ingest/, fsynced, linked into blobs/, the directory fsynced, the ingest file removed', { skip }, () => {
  const blobs = join(root, 'content', 'blobs', 'sha256');
  const links = load.filter((c) => c.name === 'link' && !c.failed && c.paths[1]?.startsWith(`${blobs}/`));
  assert.ok(links.length >= 10, `the load published its blobs (${links.length} links)`);
  for (const link of links) {
    const ingest = link.paths[0] as string;
    assert.ok(ingest.startsWith(join(root, 'content', 'ingest') + '/'), `${link.paths[1]} comes from ingest/`);
    const lastWrite = last(load, link.at, (c) => c.name === 'write' && c.fd === ingest);
    assert.ok(lastWrite, `${ingest} was written before it was linked`);
    const sync = first(load, lastWrite.at, (c) => (c.name === 'fsync' || c.name === 'fdatasync') && c.fd === ingest);
    assert.ok(sync && sync.at < link.at, `${ingest} is fsynced after its last write and before the link`);
    const unlink = first(load, link.at, (c) => c.name === 'unlink' && c.paths[0] === ingest);
    assert.ok(unlink, `${ingest} is removed once linked`);
    const dirSync = first(load, link.at, (c) => c.name === 'fsync' && c.fd === blobs);
    assert.ok(dirSync && dirSync.at < unlink.at, `blobs/sha256 is fsynced after linking ${link.paths[1]} and before the ingest file goes`);
  }
});

test('index.json: a temp file written, fsynced, renamed over it, the directory fsynced', { skip }, () => {
  const content = join(root, 'content');
  const renames = load.filter((c) => c.name === 'rename' && c.paths[1] === join(content, 'index.json'));
  assert.ok(renames.length >= 1, 'the load rewrote index.json');
  for (const rename of renames) {
    const temp = rename.paths[0] as string;
    assert.ok(temp.startsWith(`${content}/.index.json.`), `${temp} is beside index.json`);
    const lastWrite = last(load, rename.at, (c) => c.name === 'write' && c.fd === temp);
    assert.ok(lastWrite, 'the temp file was written');
    const sync = first(load, lastWrite.at, (c) => c.name === 'fsync' && c.fd === temp);
    assert.ok(sync && sync.at < rename.at, 'the temp file is fsynced before the rename');
    const dirSync = first(load, rename.at, (c) => c.name === 'fsync' && c.fd === content);
    assert.ok(dirSync, 'content/ is fsynced after the rename');
  }
});

test('a load: blobs durable before the image records commit, index.json rewritten after the commit', { skip }, () => {
  const commit = commitWriting(load, join(root, 'metadata.db-wal'), 'docker.io/strata-fixture/three:1');
  const ingest = join(root, 'content', 'ingest') + '/';
  const blobs = join(root, 'content', 'blobs', 'sha256');
  const blobSteps = load.filter((c) => (c.name === 'fsync' && (c.fd?.startsWith(ingest) || c.fd === blobs)) || (c.name === 'link' && c.paths[1]?.startsWith(blobs)));
  assert.ok(blobSteps.length > 0);
  assert.deepEqual(blobSteps.filter((c) => c.at > commit.at).map((c) => `${c.name} ${c.fd ?? c.paths.join(' → ')}`), [], 'no blob is made durable after the records that name it commit');
  const index = join(root, 'content', 'index.json');
  const listing = load.filter((c) => c.name === 'write' && c.fd?.startsWith(join(root, 'content', '.index.json.')) && c.data?.includes('strata-fixture/three:1'));
  assert.ok(listing.length > 0, 'index.json came to list the loaded images');
  for (const write of listing) {
    const rename = first(load, write.at, (c) => c.name === 'rename' && c.paths[1] === index);
    assert.ok(rename, 'the temp file is renamed over index.json');
    assert.ok(write.at > commit.at && rename.at > commit.at, 'index.json names the images only once their records committed');
  }
});

test('a tag: the record commits before index.json names it', { skip }, () => {
  const calls = traced(root, ['tag', 'strata-fixture/one:1', 'renamed:1']);
  const commit = commitWriting(calls, join(root, 'metadata.db-wal'), 'docker.io/library/renamed:1');
  const write = first(calls, 0, (c) => c.name === 'write' && (c.fd?.startsWith(join(root, 'content', '.index.json.')) ?? false) && (c.data?.includes('docker.io/library/renamed:1') ?? false));
  assert.ok(write, 'index.json came to list the new name');
  assert.ok(write.at > commit.at, 'index.json names the tag only once it committed');
});
