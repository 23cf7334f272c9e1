/**
 * One streaming pass over a layer's uncompressed tar: every entry's path, kind and size, and
 * the sha256 of every regular file's body (for duplicate detection). Nothing is extracted and
 * no link is followed, so a symlink loop or a huge directory is only data here.
 */
import { createHash, type Hash } from 'node:crypto';
import { posix } from 'node:path';
import { dataLoss, isStrataError, StrataError } from '../errdefs/index.ts';
import { TarParser, type TarHeader } from '../internal/tar/index.ts';
import { OPAQUE_WHITEOUT, RESERVED_WHITEOUT_PREFIX, WHITEOUT_PREFIX } from '../oci/index.ts';
import { ScanTableBuilder, type ScanTable } from './scan-table.ts';
import type { EntryKind, LayerEntry, LayerScan } from './scan-types.ts';

export type { EntryKind, LayerEntry, LayerScan } from './scan-types.ts';

export interface ScanOptions {
  diffId: string;
  /** How to name the layer in errors: `layer 2 (sha256:…) of alpine:3`. */
  what: string;
  /** Hash the whole tar and fail unless it matches `diffId` (input that no store verified). */
  verifyDiffId?: boolean;
}

const KIND_OF: Record<TarHeader['type'], EntryKind> = {
  file: 'file', directory: 'dir', symlink: 'symlink', hardlink: 'hardlink', char: 'other', block: 'other', fifo: 'other', unknown: 'other',
};

/** `./usr/bin/` → `usr/bin`; `..` cannot climb above the root (the path is only a name here). */
export function cleanPath(name: string): string {
  const p = posix.normalize(`/${name}`);
  return p === '/' ? '' : p.replace(/\/+$/, '').slice(1);
}

/** The entry a tar header stands for (whiteout names become the path they remove). */
function entryOf(header: TarHeader): LayerEntry {
  const path = cleanPath(header.name);
  const base = posix.basename(path);
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    if (base === OPAQUE_WHITEOUT) return { path: dir, kind: 'opaque', size: 0, sha256: '' };
    // Other `.wh..wh.` names are aufs metadata: never part of the tree.
    if (base.startsWith(RESERVED_WHITEOUT_PREFIX)) return { path, kind: 'other', size: 0, sha256: '' };
    return { path: dir === '' ? base.slice(WHITEOUT_PREFIX.length) : `${dir}/${base.slice(WHITEOUT_PREFIX.length)}`, kind: 'whiteout', size: 0, sha256: '' };
  }
  const kind = KIND_OF[header.type];
  if (kind === 'hardlink') return { path, kind, size: 0, sha256: '', link: cleanPath(header.linkname) };
  return { path, kind, size: kind === 'file' ? header.size : 0, sha256: '' };
}

/**
 * Reads `source` (the layer's uncompressed tar) to its end, into entry objects.
 * @throws as `scanLayerTable`
 */
export async function scanLayer(source: AsyncIterable<Uint8Array>, options: ScanOptions): Promise<LayerScan> {
  return (await scanLayerTable(source, options)).toScan();
}

/**
 * Reads `source` (the layer's uncompressed tar) to its end, into columns (scan-table.ts).
 * @throws StrataError naming `options.what`: data-loss for a truncated or corrupt tar or a
 *   diff_id mismatch, invalid-argument for something that is not a tar
 */
export async function scanLayerTable(source: AsyncIterable<Uint8Array>, options: ScanOptions): Promise<ScanTable> {
  const table = new ScanTableBuilder();
  let current = -1;
  let bodyHash: Hash | undefined;
  const parser = new TarParser({
    onEntry: (header) => {
      const e = entryOf(header);
      // The root directory itself carries nothing to analyse.
      const keep = e.path !== '' || e.kind === 'opaque' || e.kind === 'whiteout';
      current = keep ? table.add(e.path, e.kind, e.size, e.link) : -1;
      bodyHash = keep && e.kind === 'file' ? createHash('sha256') : undefined;
    },
    onData: (chunk) => bodyHash?.update(chunk),
    onEntryEnd: () => {
      if (current >= 0 && bodyHash !== undefined) table.setHash(current, bodyHash.digest());
      current = -1;
      bodyHash = undefined;
    },
  });
  const whole = options.verifyDiffId ? createHash('sha256') : undefined;
  let tarBytes = 0;
  try {
    for await (const chunk of source) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      tarBytes += buf.length;
      whole?.update(buf);
      // Bytes after the end-of-archive blocks are padding (docker pads to 10 KiB records).
      if (!parser.finished) parser.write(buf);
    }
    parser.end();
  } catch (err) {
    if (isStrataError(err)) throw new StrataError(err.code, `${options.what}: ${err.message}`, { cause: err });
    // zlib's errors (a cut-short or corrupt gzip layer) are the input's fault, not strata's.
    if (err instanceof Error && /^Z_/.test(String((err as { code?: unknown }).code))) {
      throw dataLoss(`${options.what}: the compressed layer is damaged or cut short (${err.message})`, { cause: err });
    }
    throw err;
  }
  if (whole !== undefined) {
    const actual = `sha256:${whole.digest('hex')}`;
    if (actual !== options.diffId) throw dataLoss(`${options.what}: its content hashes to ${actual}, not to its diff_id ${options.diffId} (damaged layer?)`);
  }
  return table.build(options.diffId, tarBytes);
}
