/**
 * Encodes tar headers as ustar blocks, with a PAX `x` header in front when a value does
 * not fit ustar (long or non-ASCII names and link targets, large ids, sizes and times,
 * xattrs, extra records). The output depends only on the header given: no clock, no
 * user database, records in a fixed order.
 */
import { isUtf8 } from 'node:buffer';
import { invalidArgument } from '../../errdefs/index.ts';
import { BLOCK_SIZE, F, flagOfType, META_FLAGS } from './header.ts';
import type { TarHeaderInit } from './header.ts';
import { isAscii, octalMax, writeBase256, writeOctal } from './fields.ts';
import { encodePaxRecord, formatPaxTime } from './pax.ts';

const ZEROS = Buffer.alloc(BLOCK_SIZE * 2);

/** Zero bytes that pad a body of `size` bytes to a whole block (0 to 511 bytes). */
export function paddingFor(size: number): Buffer {
  return ZEROS.subarray(0, (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE);
}

/** The two zero blocks that end an archive. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(BLOCK_SIZE * 2);
}

const SIZE_MAX = octalMax(12);
const OWN_KEYS = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'uname', 'gname', 'hdrcharset']);
const ID_MAX = octalMax(8);

const USTAR_MAGIC = Buffer.from('ustar\x0000', 'latin1');

/**
 * The header block(s) of one entry: a PAX `x` header and its records first when needed,
 * then the ustar block. The body (for files: `size` bytes) and `paddingFor(size)` follow.
 * Mode is masked to 0o7777; `size` counts only for `file` and `unknown` entries.
 * @throws StrataError 'invalid-argument' for values no tar can hold (NUL in a name,
 *   negative ids or sizes, an xattr name with '=').
 */
export function encodeHeader(h: TarHeaderInit): Buffer {
  // Written for the 20,000 headers of a large layer: no work (messages, maps, strings) that
  // an ordinary entry does not need.
  let records: Map<string, Buffer> | undefined;
  const record = (key: string, value: Buffer): void => {
    (records ??= new Map()).set(key, value);
  };
  const nameBytes = h.nameBytes ?? Buffer.from(h.name, 'utf8');
  const linkBytes = h.linknameBytes ?? (h.linkname === undefined || h.linkname === '' ? EMPTY : Buffer.from(h.linkname, 'utf8'));
  if (nameBytes.length === 0) throw invalidArgument('tar entry with an empty name');
  if (nameBytes.includes(0) || linkBytes.includes(0)) throw invalidArgument(`${what(h)}: name or link target contains a NUL byte`);

  let flag: string;
  if (h.type === 'unknown') {
    flag = h.typeflag ?? '';
    if (flag.length !== 1 || META_FLAGS.has(flag) || flag === 'S') throw invalidArgument(`${what(h)}: invalid typeflag ${JSON.stringify(flag)}`);
  } else {
    flag = flagOfType(h.type);
  }
  const hasBody = h.type === 'file' || h.type === 'unknown';
  const size = hasBody ? (h.size ?? 0) : 0;
  const mode = (h.mode ?? (h.type === 'directory' ? 0o755 : 0o644)) & 0o7777;
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  const mtime = h.mtime ?? 0;
  checkInteger(h, 'size', size);
  checkInteger(h, 'uid', uid);
  checkInteger(h, 'gid', gid);
  checkInteger(h, 'mode', mode);
  if (!Number.isFinite(mtime)) throw invalidArgument(`${what(h)}: invalid mtime ${mtime}`);

  const block = Buffer.allocUnsafe(BLOCK_SIZE).fill(0);

  // Name: the name field, else a prefix/name split at a '/', else a PAX path.
  const nameAscii = isAscii(nameBytes);
  const linkAscii = isAscii(linkBytes);
  const nameFields = nameAscii ? splitName(nameBytes) : undefined;
  if (nameFields === undefined) {
    record('path', nameBytes);
    const fallback = splitName(nameBytes) ?? [EMPTY, nameBytes.subarray(0, 100)];
    fallback[0].copy(block, F.prefix[0]);
    fallback[1].copy(block, F.name[0]);
  } else {
    nameFields[0].copy(block, F.prefix[0]);
    nameFields[1].copy(block, F.name[0]);
  }
  if ((!nameAscii && !isUtf8(nameBytes)) || (!linkAscii && !isUtf8(linkBytes))) record('hdrcharset', Buffer.from('BINARY'));

  if (linkBytes.length > 100 || !linkAscii) record('linkpath', linkBytes);
  linkBytes.copy(block, F.linkname[0], 0, Math.min(100, linkBytes.length));

  writeOctal(block, F.mode[0], F.mode[1], mode);
  if (uid <= ID_MAX) writeOctal(block, F.uid[0], F.uid[1], uid);
  else {
    writeOctal(block, F.uid[0], F.uid[1], 0);
    record('uid', Buffer.from(String(uid)));
  }
  if (gid <= ID_MAX) writeOctal(block, F.gid[0], F.gid[1], gid);
  else {
    writeOctal(block, F.gid[0], F.gid[1], 0);
    record('gid', Buffer.from(String(gid)));
  }
  if (size <= SIZE_MAX) writeOctal(block, F.size[0], F.size[1], size);
  else {
    writeOctal(block, F.size[0], F.size[1], 0);
    record('size', Buffer.from(String(size)));
  }
  if (Number.isInteger(mtime) && mtime >= 0 && mtime <= SIZE_MAX) writeOctal(block, F.mtime[0], F.mtime[1], mtime);
  else {
    writeOctal(block, F.mtime[0], F.mtime[1], Math.min(SIZE_MAX, Math.max(0, Math.floor(mtime))));
    record('mtime', Buffer.from(formatPaxTime(mtime)));
  }

  block[F.typeflag[0]] = flag.charCodeAt(0);
  USTAR_MAGIC.copy(block, F.magic[0]);

  if (h.uname !== undefined && h.uname !== '') ownerName(block, F.uname, 'uname', h.uname, record);
  if (h.gname !== undefined && h.gname !== '') ownerName(block, F.gname, 'gname', h.gname, record);

  const isDevice = h.type === 'char' || h.type === 'block';
  deviceNumber(block, F.devmajor, isDevice ? (h.devmajor ?? 0) : 0, h, 'devmajor');
  deviceNumber(block, F.devminor, isDevice ? (h.devminor ?? 0) : 0, h, 'devminor');

  if (h.pax !== undefined) {
    for (const [key, value] of h.pax) {
      checkKey(h, key);
      // The header's own fields decide these; a stale copy in `pax` must not override them.
      if (!OWN_KEYS.has(key) && !key.startsWith('SCHILY.xattr.')) record(key, value);
    }
  }
  if (h.xattrs !== undefined) {
    for (const [name, value] of h.xattrs) {
      checkKey(h, name);
      record(`SCHILY.xattr.${name}`, value);
    }
  }

  writeChecksum(block);
  if (records === undefined) return block;
  return Buffer.concat([paxHeader(nameBytes, records), block]);
}

const EMPTY = Buffer.alloc(0);

/** Names the entry in a message (made only when one is thrown). */
function what(h: TarHeaderInit): string {
  return `tar entry ${JSON.stringify(h.name)}`;
}

function ownerName(block: Buffer, field: readonly [number, number], key: string, value: string, record: (key: string, value: Buffer) => void): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 32 || !isAscii(bytes)) record(key, bytes);
  bytes.copy(block, field[0], 0, Math.min(32, bytes.length));
}

function deviceNumber(block: Buffer, field: readonly [number, number], value: number, h: TarHeaderInit, key: string): void {
  checkInteger(h, key, value);
  if (value <= ID_MAX) writeOctal(block, field[0], field[1], value);
  else writeBase256(block, field[0], field[1], value); // GNU extension; GNU tar and Go read it
}

function checkInteger(h: TarHeaderInit, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(`${what(h)}: invalid ${field} ${value}`);
}

function checkKey(h: TarHeaderInit, key: string): void {
  if (key.length === 0 || key.includes('=') || key.includes('\0')) {
    throw invalidArgument(`${what(h)}: ${JSON.stringify(key)} cannot be a PAX record key or xattr name`);
  }
}

/** [prefix, name] when the path fits the ustar fields, splitting at a '/' if needed. */
function splitName(bytes: Buffer): [Buffer, Buffer] | undefined {
  if (bytes.length <= 100) return [EMPTY, bytes];
  let limit = Math.min(bytes.length, 156);
  if (limit === bytes.length && bytes[limit - 1] === 0x2f) limit--;
  const slash = bytes.lastIndexOf(0x2f, limit - 1);
  if (slash <= 0) return undefined;
  const suffix = bytes.length - slash - 1;
  if (suffix === 0 || suffix > 100 || slash > 155) return undefined;
  return [bytes.subarray(0, slash), bytes.subarray(slash + 1)];
}

function writeChecksum(block: Buffer): void {
  block.fill(0x20, F.chksum[0], F.chksum[1]);
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, '0'), F.chksum[0], 6, 'latin1');
  block[F.chksum[0] + 6] = 0;
  block[F.chksum[0] + 7] = 0x20;
}

function paxHeader(nameBytes: Buffer, records: Map<string, Buffer>): Buffer {
  const keys = [...records.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const body = Buffer.concat(keys.map((k) => encodePaxRecord(k, records.get(k)!)));
  const block = Buffer.alloc(BLOCK_SIZE);
  const trimmed = nameBytes[nameBytes.length - 1] === 0x2f ? nameBytes.subarray(0, -1) : nameBytes;
  const base = trimmed.subarray(trimmed.lastIndexOf(0x2f) + 1);
  const name = Buffer.concat([Buffer.from('PaxHeaders/'), base]).subarray(0, 100);
  name.copy(block, F.name[0]);
  writeOctal(block, F.mode[0], F.mode[1], 0o644);
  writeOctal(block, F.uid[0], F.uid[1], 0);
  writeOctal(block, F.gid[0], F.gid[1], 0);
  writeOctal(block, F.size[0], F.size[1], body.length);
  writeOctal(block, F.mtime[0], F.mtime[1], 0);
  block[F.typeflag[0]] = 0x78; // 'x'
  block.write('ustar\x0000', F.magic[0], 8, 'latin1');
  writeOctal(block, F.devmajor[0], F.devmajor[1], 0);
  writeOctal(block, F.devminor[0], F.devminor[1], 0);
  writeChecksum(block);
  return Buffer.concat([block, body, paddingFor(body.length)]);
}
