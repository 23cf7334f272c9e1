/**
 * Diffing: turning a changed filesystem into a layer tar.
 *
 * - `diffOverlayUpper` walks an overlay upper directory only: what is there is the change
 *   (copied-up files included, even for a chmod or chown), 0/0 character devices are
 *   deletions and `trusted.overlay.opaque=y` directories hide everything below them.
 * - `diffDirectories` compares two full trees (the native driver's parent and child).
 *
 * Both write entries depth-first with the children of each directory sorted by the bytes of
 * the names they are written under (so `.wh.x` sorts as written, not as `x`), which is the
 * order `tar --sort=name` uses; headers are normalized by LayerTarWriter. The same change
 * therefore always gives the same diff_id. The tar is hashed while it is written.
 */
import type { BigIntStats } from 'node:fs';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { failedPrecondition, fromSystemError } from '../errdefs/index.ts';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../oci/index.ts';
import type { LayerStats } from './apply.ts';
import { LayerTarWriter, readXattrs, sourceDateEpoch } from './layer-writer.ts';

const layerXattrs = (abs: Buffer): Map<string, Buffer> => readXattrs(abs).layer;

export interface DiffOverlayUpperOptions {
  /** The upper directory of an overlay mount (unmounted, or at least quiescent). */
  upper: string;
  /** Where the uncompressed tar goes; it is not ended. */
  output: Writable;
  /** Clamp mtimes to this many seconds; defaults to $SOURCE_DATE_EPOCH when set. */
  sourceDateEpoch?: number;
}

export interface DiffDirectoriesOptions {
  /** The parent's full tree. */
  lower: string;
  /** The changed full tree. */
  upper: string;
  output: Writable;
  sourceDateEpoch?: number;
  /**
   * Take regular files whose size, mtime, mode, owner and xattrs all match as unchanged
   * without reading them (docker's behaviour). Default false: their bytes are compared.
   */
  trustMetadata?: boolean;
  /**
   * Files of `upper` whose ctime (ns since the epoch) is not after this were untouched since
   * the snapshotter copied them, so equal metadata is trusted for them without reading.
   */
  copiedBefore?: bigint;
}

const OPAQUE = Buffer.from(OPAQUE_WHITEOUT);
const PREFIX = Buffer.from(WHITEOUT_PREFIX);
const SLASH = Buffer.from('/');

function join(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, SLASH, name]);
}

function child(rel: string, name: Buffer): string {
  return rel === '' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
}

function list(dir: Buffer, what: string): Buffer[] {
  try {
    return readdirSync(dir, { encoding: 'buffer' });
  } catch (err) {
    throw fromSystemError(err, `${what}: reading ${JSON.stringify(dir.toString('utf8'))}`);
  }
}

/**
 * Writes the layer tar of an overlay upper directory to `output`.
 * @throws StrataError 'failed-precondition' when the upper directory uses overlay features
 *   a layer cannot express (redirect_dir, metacopy); mount without them.
 */
export async function diffOverlayUpper(options: DiffOverlayUpperOptions): Promise<LayerStats> {
  const writer = new LayerTarWriter(options.output, sourceDateEpoch(options.sourceDateEpoch));
  const walk = async (dirAbs: Buffer, rel: string, opaque: boolean): Promise<void> => {
    const items: Array<{ emit: Buffer; abs?: Buffer; st?: BigIntStats }> = [];
    for (const name of list(dirAbs, 'diff')) {
      const abs = join(dirAbs, name);
      const st = lstatSync(abs, { bigint: true });
      if (st.isCharacterDevice() && st.rdev === 0n) items.push({ emit: Buffer.concat([PREFIX, name]) });
      else items.push({ emit: name, abs, st });
    }
    if (opaque) items.push({ emit: OPAQUE });
    items.sort((a, b) => Buffer.compare(a.emit, b.emit));
    for (const item of items) {
      const path = child(rel, item.emit);
      if (item.abs === undefined || item.st === undefined) {
        await writer.addWhiteout(path);
        continue;
      }
      const { layer, overlay: own } = readXattrs(item.abs);
      if (own.has('trusted.overlay.redirect') || own.has('trusted.overlay.metacopy')) {
        throw failedPrecondition(
          `diff: ${JSON.stringify(Buffer.from(path, 'latin1').toString('utf8'))} uses overlayfs redirect_dir or metacopy, which a layer cannot express`,
          { hint: 'mount overlay with redirect_dir=off,metacopy=off' },
        );
      }
      await writer.addPath(item.abs, path, item.st, layer);
      if (item.st.isDirectory()) {
        await walk(item.abs, path, own.get('trusted.overlay.opaque')?.toString() === 'y');
      }
    }
  };
  return finishing(writer, () => walk(Buffer.from(options.upper), '', false));
}

/** Runs the walk and ends the layer; a failed walk releases what the writer holds. */
async function finishing(writer: LayerTarWriter, walk: () => Promise<void>): Promise<LayerStats> {
  try {
    await walk();
    return await writer.finish();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * Writes the layer tar that turns `lower` into `upper` to `output`: additions, changes
 * (type, mode, owner, mtime, size, link target, device numbers, xattrs, and content when the
 * metadata cannot tell) and deletions as `.wh.` entries. Directories are written when they
 * changed or something inside them did.
 */
export async function diffDirectories(options: DiffDirectoriesOptions): Promise<LayerStats> {
  const writer = new LayerTarWriter(options.output, sourceDateEpoch(options.sourceDateEpoch));
  const pending: Array<{ abs: Buffer; path: string; st: BigIntStats; xattrs: Map<string, Buffer> }> = [];
  const flush = async (): Promise<void> => {
    for (const p of pending) await writer.addPath(p.abs, p.path, p.st, p.xattrs);
    pending.length = 0;
  };
  const trusted = (st: BigIntStats): boolean =>
    options.trustMetadata === true || (options.copiedBefore !== undefined && st.ctimeNs <= options.copiedBefore);

  const walk = async (lowerAbs: Buffer | undefined, upperAbs: Buffer, rel: string): Promise<void> => {
    const upperNames = list(upperAbs, 'diff');
    const lowerNames = lowerAbs === undefined ? [] : list(lowerAbs, 'diff');
    const inUpper = new Set(upperNames.map((n) => n.toString('latin1')));
    const inLower = new Set(lowerNames.map((n) => n.toString('latin1')));
    const items: Array<{ emit: Buffer; name: Buffer; deleted: boolean }> = upperNames.map((n) => ({ emit: n, name: n, deleted: false }));
    for (const n of lowerNames) {
      if (!inUpper.has(n.toString('latin1'))) items.push({ emit: Buffer.concat([PREFIX, n]), name: n, deleted: true });
    }
    items.sort((a, b) => Buffer.compare(a.emit, b.emit));
    for (const item of items) {
      const path = child(rel, item.emit);
      if (item.deleted) {
        await flush();
        await writer.addWhiteout(path);
        continue;
      }
      const upAbs = join(upperAbs, item.name);
      const up = lstatSync(upAbs, { bigint: true });
      const lowAbs = lowerAbs !== undefined && inLower.has(item.name.toString('latin1')) ? join(lowerAbs, item.name) : undefined;
      const low = lowAbs === undefined ? undefined : lstatSync(lowAbs, { bigint: true });
      const xattrs = layerXattrs(upAbs);
      if (up.isDirectory()) {
        if (low !== undefined && low.isDirectory() && sameMetadata(low, up) && sameXattrs(layerXattrs(lowAbs!), xattrs)) {
          pending.push({ abs: upAbs, path, st: up, xattrs });
          const depth = pending.length;
          await walk(lowAbs, upAbs, path);
          if (pending.length >= depth) pending.length = depth - 1;
        } else {
          await flush();
          await writer.addPath(upAbs, path, up, xattrs);
          await walk(low?.isDirectory() === true ? lowAbs : undefined, upAbs, path);
        }
        continue;
      }
      const unchanged =
        low !== undefined &&
        lowAbs !== undefined &&
        sameMetadata(low, up) &&
        sameXattrs(layerXattrs(lowAbs), xattrs) &&
        sameContent(lowAbs, low, upAbs, up, trusted(up));
      if (!unchanged) {
        await flush();
        await writer.addPath(upAbs, path, up, xattrs);
      }
    }
  };
  return finishing(writer, () => walk(Buffer.from(options.lower), Buffer.from(options.upper), ''));
}

/** Type, permissions, owner, mtime, and for files size, for devices numbers. */
function sameMetadata(a: BigIntStats, b: BigIntStats): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.mtimeNs !== b.mtimeNs) return false;
  if (a.isFile() && a.size !== b.size) return false;
  if ((a.isCharacterDevice() || a.isBlockDevice()) && a.rdev !== b.rdev) return false;
  return true;
}

function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !w.equals(v)) return false;
  }
  return true;
}

/** Symlink targets always; file bytes unless the metadata is trusted. Metadata is already equal. */
function sameContent(lowAbs: Buffer, low: BigIntStats, upAbs: Buffer, up: BigIntStats, trusted: boolean): boolean {
  if (up.isSymbolicLink()) return readlinkSync(lowAbs, { encoding: 'buffer' }).equals(readlinkSync(upAbs, { encoding: 'buffer' }));
  if (!up.isFile() || trusted || up.size === 0n) return true;
  if (low.dev === up.dev && low.ino === up.ino) return true;
  const fa = openSync(lowAbs, 'r');
  const fb = openSync(upAbs, 'r');
  try {
    const a = Buffer.allocUnsafe(256 * 1024);
    const b = Buffer.allocUnsafe(256 * 1024);
    for (;;) {
      const n = readSync(fa, a, 0, a.length, null);
      const m = readSync(fb, b, 0, b.length, null);
      if (n !== m) return false;
      if (n === 0) return true;
      if (!a.subarray(0, n).equals(b.subarray(0, m))) return false;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}
