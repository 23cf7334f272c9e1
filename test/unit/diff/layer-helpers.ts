// Shared by the diff tests: build layer tars declaratively, apply/diff them in memory,
// snapshot a tree for comparison, and a plain-directory reference built with GNU tar.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after } from 'node:test';
import { encodeHeader, endOfArchive, paddingFor, TarParser } from '../../../src/internal/tar/index.ts';
import type { TarHeader, TarHeaderInit } from '../../../src/internal/tar/index.ts';
import { lgetxattrs, splitDev } from '../../../src/internal/sys/index.ts';
import { applyLayer } from '../../../src/diff/index.ts';
import type { ApplyLayerOptions, LayerStats, WhiteoutMode } from '../../../src/diff/index.ts';

export type Entry = TarHeaderInit & { body?: string | Buffer };

/** A layer tar from entries, written in the order given. */
export function layerTar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? undefined : Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body);
    parts.push(encodeHeader({ ...e, size: body?.length ?? e.size ?? 0 }));
    if (body !== undefined) parts.push(body, paddingFor(body.length));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

export function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

export function tempDir(prefix = 'sd-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => { execFileSync('rm', ['-rf', dir]); }); // node's rmSync overflows its stack on deep trees
  return dir;
}

export function run(cmd: string, args: string[], input?: Buffer): Buffer {
  return execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}

/**
 * Applies `layer` as a stream of `chunk`-byte pieces, or with `fromFile` as a file (read in
 * place: diff/apply.ts's LayerSource).
 */
export async function apply(
  layer: Buffer,
  target: string,
  whiteouts: WhiteoutMode,
  chunk = 65536,
  options: Pick<ApplyLayerOptions, 'secondThreadAfter'> & { fromFile?: boolean } = {},
): Promise<LayerStats> {
  const { fromFile, ...rest } = options;
  if (fromFile === true) {
    const file = join(tempDir('sd-layer-'), 'layer.tar');
    writeFileSync(file, layer);
    return applyLayer({ source: { file }, target, whiteouts, ...rest });
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < layer.length; i += chunk) chunks.push(layer.subarray(i, i + chunk));
  return applyLayer({ source: Readable.from(chunks), target, whiteouts, ...rest });
}

/** Runs a diff function into memory and returns the tar with the stats. */
export async function collect(fn: (output: PassThrough) => Promise<LayerStats>): Promise<{ tar: Buffer; stats: LayerStats }> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  const stats = await fn(out);
  out.end();
  return { tar: Buffer.concat(parts), stats };
}

export function headers(tar: Buffer): TarHeader[] {
  const out: TarHeader[] = [];
  const p = new TarParser({ onEntry: (h) => out.push(h) });
  p.write(tar);
  p.end();
  return out;
}

export interface Node {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  content?: string;
  link?: string;
  rdev?: string;
  xattrs?: string;
  hardlinkOf?: string;
}

/**
 * Every path under `root` (not the root itself) with its metadata, in sorted order. With
 * `overlayView`, 0/0 character devices are shown as the `.wh.` files GNU tar would extract
 * and `trusted.overlay.opaque=y` as a `.wh..wh..opq` file, so an overlay-mode tree compares
 * with a plain extraction of the same layer.
 */
export function snapshot(root: string, overlayView = false): Node[] {
  const nodes: Node[] = [];
  const inodes = new Map<string, string>();
  const walk = (dir: Buffer, rel: string): void => {
    const names = readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) {
      const abs = Buffer.concat([dir, Buffer.from('/'), name]);
      const path = rel === '' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
      const st = lstatSync(abs);
      const xattrs = lgetxattrs(abs);
      const node: Node = { path, type: '?', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      if (overlayView && st.isCharacterDevice() && st.rdev === 0) {
        const slash = path.lastIndexOf('/');
        nodes.push({ ...node, path: `${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`, type: 'file', size: 0, content: sha256(Buffer.alloc(0)) });
        continue;
      }
      if (st.isDirectory()) {
        node.type = 'dir';
        if (overlayView && xattrs.get('trusted.overlay.opaque')?.toString() === 'y') {
          xattrs.delete('trusted.overlay.opaque');
          nodes.push({ path: `${path}/.wh..wh..opq`, type: 'file', mode: 0, uid: 0, gid: 0, mtime: 0, size: 0, content: sha256(Buffer.alloc(0)) });
        }
      } else if (st.isSymbolicLink()) {
        node.type = 'symlink';
        node.link = readlinkSync(abs, { encoding: 'buffer' }).toString('latin1');
      } else if (st.isFile()) {
        node.type = 'file';
        node.size = st.size;
        node.content = sha256(readFileSync(abs));
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          const first = inodes.get(key);
          if (first === undefined) inodes.set(key, path);
          else node.hardlinkOf = first;
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        node.type = st.isCharacterDevice() ? 'char' : 'block';
        const d = splitDev(st.rdev);
        node.rdev = `${d.major},${d.minor}`;
      } else if (st.isFIFO()) {
        node.type = 'fifo';
      }
      if (xattrs.size > 0) node.xattrs = [...xattrs].map(([k, v]) => `${k}=${v.toString('hex')}`).sort().join(' ');
      nodes.push(node);
      if (st.isDirectory()) walk(abs, path);
    }
  };
  walk(Buffer.from(root), '');
  return nodes.sort((a, b) => Buffer.compare(Buffer.from(a.path, 'latin1'), Buffer.from(b.path, 'latin1')));
}

/** docker's pkg/directory.Size, computed independently: lstat sizes of non-directories, each inode once. */
export function directorySize(root: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (dir: Buffer): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const abs = Buffer.concat([dir, Buffer.from('/'), name]);
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs);
      else if (st.size > 0 && !seen.has(st.ino)) {
        seen.add(st.ino);
        total += st.size;
      }
    }
  };
  walk(Buffer.from(root));
  return total;
}

const GNU_EXTRACT = ['-x', '-p', '--same-owner', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-f', '-'];

/** GNU tar's plain extraction of a layer (whiteouts stay `.wh.` files). */
export function gnuExtract(layer: Buffer, dir: string): void {
  run('tar', [...GNU_EXTRACT, '-C', dir], layer);
}

/**
 * The plain-directory reference for the native driver: the layer's deletions done with rm,
 * then the rest extracted by GNU tar over the tree.
 */
export function referenceApply(layer: Buffer, dir: string): void {
  const all = headers(layer);
  const names = all.map((h) => h.nameBytes.toString('latin1').replace(/^(\.\/)+/, '').replace(/\/$/, ''));
  const inLayer = new Set(names);
  const at = (rel: string): Buffer => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(rel, 'latin1')]);
  for (const name of names) {
    const slash = name.lastIndexOf('/');
    const parent = name.slice(0, slash + 1);
    const base = name.slice(slash + 1);
    if (base === '.wh..wh..opq') {
      const d = at(parent);
      for (const child of readdirSync(d, { encoding: 'buffer' })) {
        if (!inLayer.has(`${parent}${child.toString('latin1')}`)) {
          rmSync(Buffer.concat([d, Buffer.from('/'), child]), { recursive: true, force: true });
        }
      }
    } else if (base.startsWith('.wh.')) {
      rmSync(at(parent + base.slice(4)), { recursive: true, force: true });
    }
  }
  // GNU tar will not put a file where a directory is: clear those the way docker does.
  all.forEach((h, i) => {
    if (h.type === 'directory' || names[i]!.split('/').pop()!.startsWith('.wh.')) return;
    let st;
    try {
      st = lstatSync(at(names[i]!), { throwIfNoEntry: false });
    } catch {
      return; // a parent is not a directory (yet): nothing to clear
    }
    if (st?.isDirectory() === true) rmSync(at(names[i]!), { recursive: true, force: true });
  });
  run('tar', [...GNU_EXTRACT, '--exclude=.wh.*', '-C', dir], layer);
}
