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

/**
 * The header block(s) of one entry: a PAX `x` header and its records first when needed,
 * then the ustar block. The body (for files: `size` bytes) and `paddingFor(size)` follow.
 * Mode is masked to 0o7777; `size` counts only for `file` and `unknown` entries.
 * @throws StrataError 'invalid-argument' for values no tar can hold (NUL in a name,
 *   negative ids or sizes, an xattr name with '=').
 */
export function encodeHeader(h: TarHeaderInit): Buffer {
  const what = `tar entry ${JSON.stringify(h.name)}`;
  const records = new Map<string, Buffer>();
  const nameBytes = h.nameBytes ?? Buffer.from(h.name, 'utf8');
  const linkBytes = h.linknameBytes ?? Buffer.from(h.linkname ?? '', 'utf8');
  if (nameBytes.length === 0) throw invalidArgument('tar entry with an empty name');
  if (nameBytes.includes(0) || linkBytes.includes(0)) throw invalidArgument(`${what}: name or link target contains a NUL byte`);

  let flag: string;
  if (h.type === 'unknown') {
    flag = h.typeflag ?? '';
    if (flag.length !== 1 || META_FLAGS.has(flag) || flag === 'S') throw invalidArgument(`${what}: invalid typeflag ${JSON.stringify(flag)}`);
  } else {
    flag = flagOfType(h.type);
  }
  const hasBody = h.type === 'file' || h.type === 'unknown';
  const size = hasBody ? (h.size ?? 0) : 0;
  const mode = (h.mode ?? (h.type === 'directory' ? 0o755 : 0o644)) & 0o7777;
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  const mtime = h.mtime ?? 0;
  checkInteger(what, 'size', size);
  checkInteger(what, 'uid', uid);
  checkInteger(what, 'gid', gid);
  checkInteger(what, 'mode', mode);
  if (!Number.isFinite(mtime)) throw invalidArgument(`${what}: invalid mtime ${mtime}`);

  const block = Buffer.alloc(BLOCK_SIZE);

  // Name: the name field, else a prefix/name split at a '/', else a PAX path.
  const nameFields = isAscii(nameBytes) ? splitName(nameBytes) : undefined;
  if (nameFields === undefined) {
    records.set('path', nameBytes);
    const fallback = splitName(nameBytes) ?? [Buffer.alloc(0), nameBytes.subarray(0, 100)];
    fallback[0].copy(block, F.prefix[0]);
    fallback[1].copy(block, F.name[0]);
  } else {
    nameFields[0].copy(block, F.prefix[0]);
    nameFields[1].copy(block, F.name[0]);
  }
  if (!isUtf8(nameBytes) || !isUtf8(linkBytes)) records.set('hdrcharset', Buffer.from('BINARY'));

  if (linkBytes.length > 100 || !isAscii(linkBytes)) records.set('linkpath', linkBytes);
  linkBytes.copy(block, F.linkname[0], 0, Math.min(100, linkBytes.length));

  writeOctal(block, F.mode[0], F.mode[1], mode);
  for (const [key, value, field] of [
    ['uid', uid, F.uid],
    ['gid', gid, F.gid],
  ] as const) {
    if (value <= ID_MAX) writeOctal(block, field[0], field[1], value);
    else {
      writeOctal(block, field[0], field[1], 0);
      records.set(key, Buffer.from(String(value)));
    }
  }
  if (size <= SIZE_MAX) writeOctal(block, F.size[0], F.size[1], size);
  else {
    writeOctal(block, F.size[0], F.size[1], 0);
    records.set('size', Buffer.from(String(size)));
  }
  if (Number.isInteger(mtime) && mtime >= 0 && mtime <= SIZE_MAX) writeOctal(block, F.mtime[0], F.mtime[1], mtime);
  else {
    writeOctal(block, F.mtime[0], F.mtime[1], Math.min(SIZE_MAX, Math.max(0, Math.floor(mtime))));
    records.set('mtime', Buffer.from(formatPaxTime(mtime)));
  }

  block[F.typeflag[0]] = flag.charCodeAt(0);
  block.write('ustar\x0000', F.magic[0], 8, 'latin1');

  for (const [key, value, field] of [
    ['uname', h.uname ?? '', F.uname],
    ['gname', h.gname ?? '', F.gname],
  ] as const) {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > 32 || !isAscii(bytes)) records.set(key, bytes);
    bytes.copy(block, field[0], 0, Math.min(32, bytes.length));
  }

  const isDevice = h.type === 'char' || h.type === 'block';
  for (const [key, field] of [
    ['devmajor', F.devmajor],
    ['devminor', F.devminor],
  ] as const) {
    const value = isDevice ? (h[key] ?? 0) : 0;
    checkInteger(what, key, value);
    if (value <= ID_MAX) writeOctal(block, field[0], field[1], value);
    else writeBase256(block, field[0], field[1], value); // GNU extension; GNU tar and Go read it
  }

  if (h.pax !== undefined) {
    for (const [key, value] of h.pax) {
      checkKey(what, key);
      // The header's own fields decide these; a stale copy in `pax` must not override them.
      if (!OWN_KEYS.has(key) && !key.startsWith('SCHILY.xattr.')) records.set(key, value);
    }
  }
  if (h.xattrs !== undefined) {
    for (const [name, value] of h.xattrs) {
      checkKey(what, name);
      records.set(`SCHILY.xattr.${name}`, value);
    }
  }

  writeChecksum(block);
  if (records.size === 0) return block;
  return Buffer.concat([paxHeader(nameBytes, records), block]);
}

function checkInteger(what: string, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(`${what}: invalid ${field} ${value}`);
}

function checkKey(what: string, key: string): void {
  if (key.length === 0 || key.includes('=') || key.includes('\0')) {
    throw invalidArgument(`${what}: ${JSON.stringify(key)} cannot be a PAX record key or xattr name`);
  }
}

/** [prefix, name] when the path fits the ustar fields, splitting at a '/' if needed. */
function splitName(bytes: Buffer): [Buffer, Buffer] | undefined {
  if (bytes.length <= 100) return [Buffer.alloc(0), bytes];
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
