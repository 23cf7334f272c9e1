/**
 * A synchronous push parser for tar streams: ustar, GNU (long names, base-256 numbers),
 * PAX (`x` and `g` records) and old v7 archives.
 *
 * Feed it with `write(chunk)` as bytes arrive and `end()` when they stop; it calls the
 * handlers in stream order, handing file bodies over as slices of the chunks written (never
 * buffering a body), so memory stays flat whatever the entry sizes. Only meta entries (PAX
 * records, GNU long names) are buffered, up to `maxMetaSize`.
 */
import { StrataError } from '../../errdefs/index.ts';
import type { ErrorCode } from '../../errdefs/index.ts';
import { BLOCK_SIZE, F, isHeaderOnly, typeOfFlag } from './header.ts';
import type { TarHeader } from './header.ts';
import { checksum, copyField, parseNumber, stringField } from './fields.ts';
import { parsePaxInteger, parsePaxRecords, parsePaxTime } from './pax.ts';

export interface TarParserHandlers {
  /** A real entry begins; `header.size` body bytes follow through `onData`. */
  onEntry(header: TarHeader): void;
  /** Body bytes of the current entry, in order. The chunk is a view of the input: copy it to keep it. */
  onData?(chunk: Buffer): void;
  /** The current entry's body is complete (called for empty bodies too). */
  onEntryEnd?(): void;
}

export interface TarParserOptions {
  /** Largest PAX or GNU long-name body accepted (default 1 MiB, as Go's archive/tar). */
  maxMetaSize?: number;
}

const enum State {
  Header,
  Body,
  Meta,
  Padding,
  /** One zero block seen: the next block must be zero too, or the stream must end. */
  AfterZero,
  End,
}

const ZERO_BLOCK = Buffer.alloc(BLOCK_SIZE);
const SLASH = Buffer.from('/');
/** The records of a header that has none (most): shared, never written to (see `ownRecords`). */
const NO_RECORDS: ReadonlyMap<string, Buffer> = new Map();

function isZeroBlock(buf: Buffer, at: number): boolean {
  return buf.compare(ZERO_BLOCK, 0, BLOCK_SIZE, at, at + BLOCK_SIZE) === 0;
}

/** The header's own map of `which` records, made on its first record. */
function ownRecords(header: TarHeader, which: 'xattrs' | 'pax'): Map<string, Buffer> {
  if (header[which] === NO_RECORDS) header[which] = new Map();
  return header[which] as Map<string, Buffer>;
}

/** Names an entry in errors; the text is made only when one is thrown. */
class EntryWhere {
  constructor(
    private readonly name: Buffer,
    private readonly index: number,
    private readonly offset: number,
  ) {}

  text(): string {
    return `tar entry ${JSON.stringify(this.name.toString('utf8'))} (#${this.index} at byte ${this.offset})`;
  }
}

export class TarParser {
  private state = State.Header;
  private readonly block = Buffer.alloc(BLOCK_SIZE);
  private blockFill = 0;
  private remaining = 0;
  private padding = 0;
  private offset = 0;
  private headerOffset = 0;
  private headerIndex = 0;
  private current: TarHeader | undefined;
  private metaFlag = '';
  private metaBuf: Buffer = ZERO_BLOCK;
  private metaFill = 0;
  private readonly globalPax = new Map<string, Buffer>();
  private pendingPax: Map<string, Buffer> | undefined;
  private longName: Buffer | undefined;
  private longLink: Buffer | undefined;
  private failure: unknown;
  private ended = false;
  private readonly maxMetaSize: number;

  constructor(
    private readonly handlers: TarParserHandlers,
    options: TarParserOptions = {},
  ) {
    this.maxMetaSize = options.maxMetaSize ?? 1 << 20;
  }

  /** True once the end-of-archive zero blocks were read; later bytes are ignored. */
  get finished(): boolean {
    return this.state === State.End || this.state === State.AfterZero;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  /**
   * Parses the next bytes of the stream.
   * @throws StrataError 'invalid-argument' for a malformed header, 'data-loss' for a bad
   *   checksum; anything a handler throws passes through. After a throw the parser is dead.
   */
  write(chunk: Buffer): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new StrataError('internal', 'tar parser: write after end');
    try {
      this.consume(chunk);
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  /**
   * Declares the end of the stream. An archive may end after its last entry without the
   * two zero blocks (as GNU tar and Go accept), but not inside a header or a body.
   * @throws StrataError 'data-loss' when the archive is truncated.
   */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) return;
    this.ended = true;
    let problem: string | undefined;
    switch (this.state) {
      case State.Header:
        if (this.blockFill > 0) problem = `inside header #${this.headerIndex} at byte ${this.offset}`;
        else if (this.pendingPax !== undefined || this.longName !== undefined || this.longLink !== undefined) {
          problem = `after an extended header, before the entry it describes (at byte ${this.offset})`;
        }
        break;
      case State.Body:
        problem = `in the body of ${this.describe()}: ${this.remaining} of ${this.current?.size ?? 0} bytes missing`;
        break;
      case State.Padding: {
        // An end right after an entry's body, before any of its padding, is an end (as Go's
        // archive/tar reads it): the docker CLI sends a context with a Dockerfile from outside
        // it ending so.
        const meta = this.pendingPax !== undefined || this.longName !== undefined || this.longLink !== undefined;
        const full = (BLOCK_SIZE - ((this.current?.size ?? 0) % BLOCK_SIZE)) % BLOCK_SIZE;
        if (meta || this.padding !== full) problem = `in the padding after ${this.describe()}`;
        break;
      }
      case State.Meta:
        problem = `inside the extended header #${this.headerIndex} at byte ${this.headerOffset}`;
        break;
      default:
        break;
    }
    if (problem !== undefined) {
      this.failure = new StrataError('data-loss', `truncated tar archive: unexpected end of data ${problem}`);
      throw this.failure;
    }
  }

  private consume(chunk: Buffer): void {
    let pos = 0;
    const length = chunk.length;
    while (pos < length) {
      switch (this.state) {
        case State.Header:
        case State.AfterZero: {
          // A header read in place when the chunk holds all of it, else gathered in `block`.
          let buf: Buffer;
          let at: number;
          if (this.blockFill === 0 && length - pos >= BLOCK_SIZE) {
            buf = chunk;
            at = pos;
            pos += BLOCK_SIZE;
          } else {
            const n = Math.min(BLOCK_SIZE - this.blockFill, length - pos);
            chunk.copy(this.block, this.blockFill, pos, pos + n);
            this.blockFill += n;
            pos += n;
            if (this.blockFill < BLOCK_SIZE) return;
            buf = this.block;
            at = 0;
            this.blockFill = 0;
          }
          this.headerOffset = this.offset;
          this.offset += BLOCK_SIZE;
          if (this.state === State.AfterZero) this.afterZero(buf, at);
          else this.header(buf, at);
          break;
        }
        case State.Body: {
          const n = Math.min(this.remaining, length - pos);
          const slice = chunk.subarray(pos, pos + n);
          pos += n;
          this.offset += n;
          this.remaining -= n;
          this.handlers.onData?.(slice);
          if (this.remaining === 0) this.finishEntry();
          break;
        }
        case State.Meta: {
          const n = Math.min(this.remaining, length - pos);
          chunk.copy(this.metaBuf, this.metaFill, pos, pos + n);
          this.metaFill += n;
          pos += n;
          this.offset += n;
          this.remaining -= n;
          if (this.remaining === 0) this.finishMeta();
          break;
        }
        case State.Padding: {
          const n = Math.min(this.padding, length - pos);
          pos += n;
          this.offset += n;
          this.padding -= n;
          if (this.padding === 0) this.state = State.Header;
          break;
        }
        case State.End:
          this.offset += length - pos;
          return;
      }
    }
  }

  private afterZero(buf: Buffer, at: number): void {
    if (isZeroBlock(buf, at)) {
      this.state = State.End;
      return;
    }
    // GNU tar stops here with a warning; Go's archive/tar (docker) fails. Failing is safer.
    throw new StrataError(
      'data-loss',
      `tar archive: a lone zero block at byte ${this.headerOffset - BLOCK_SIZE} ends the archive, but more data follows it`,
    );
  }

  /** The header block at `buf[at, at + 512)`: a meta entry is gathered, a real one handed to `onEntry`. */
  private header(buf: Buffer, at: number): void {
    if (buf[at + F.chksum[0]] === 0 && isZeroBlock(buf, at)) {
      if (this.pendingPax !== undefined || this.longName !== undefined || this.longLink !== undefined) {
        throw this.headerError('invalid-argument', 'end-of-archive marker right after an extended header');
      }
      this.state = State.AfterZero;
      return;
    }
    const stored = parseNumber(buf, at + F.chksum[0], at + F.chksum[1]);
    if (stored !== checksum(buf, at, false) && stored !== checksum(buf, at, true)) {
      if (this.headerOffset === 0) {
        throw new StrataError('invalid-argument', 'not a tar archive: the first 512 bytes are not a valid tar header (checksum mismatch)');
      }
      throw this.headerError('data-loss', `header checksum mismatch (stored ${Number.isNaN(stored) ? 'garbage' : stored}, computed ${checksum(buf, at, false)})`);
    }
    const flag = String.fromCharCode(buf[at + F.typeflag[0]]!);
    const index = this.headerIndex++;
    // "ustar\0" (POSIX) or "ustar  \0" (old GNU) at 257.
    const ustarLike = buf[at + 257] === 0x75 && buf.toString('latin1', at + 257, at + 262) === 'ustar';
    const ustar = ustarLike && buf[at + 262] === 0;
    const gnu = ustarLike && buf[at + 262] === 0x20 && buf[at + 263] === 0x20 && buf[at + 264] === 0;

    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const size = parseNumber(buf, at + F.size[0], at + F.size[1]);
      if (Number.isNaN(size) || size < 0) throw this.headerError('invalid-argument', 'invalid size field in an extended header');
      if (size > this.maxMetaSize) {
        throw this.headerError('invalid-argument', `extended header of ${size} bytes is larger than the ${this.maxMetaSize} bytes allowed`);
      }
      this.metaFlag = flag;
      this.metaBuf = Buffer.allocUnsafe(size);
      this.metaFill = 0;
      this.remaining = size;
      this.padding = (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
      this.state = State.Meta;
      if (size === 0) this.finishMeta();
      return;
    }

    // Own copies of the names: the header outlives the chunk it was read from.
    let nameBytes = copyField(buf, at + F.name[0], at + F.name[1]);
    if (ustar) {
      // star puts atime/ctime after a 131-byte prefix and marks it with "tar\0" at 508.
      const star = buf[at + 508] === 0x74 && buf[at + 509] === 0x61 && buf[at + 510] === 0x72 && buf[at + 511] === 0;
      if (buf[at + F.prefix[0]] !== 0) {
        const prefix = copyField(buf, at + F.prefix[0], at + (star ? 476 : F.prefix[1]));
        nameBytes = Buffer.concat([prefix, SLASH, nameBytes]);
      }
    }
    const where = new EntryWhere(this.longName ?? this.pendingPax?.get('path') ?? nameBytes, index, this.headerOffset);
    if (flag === 'S') {
      throw new StrataError('invalid-argument', `${where.text()} is a GNU sparse file, which strata does not read`, {
        hint: 'recreate the archive without --sparse',
      });
    }
    let type = typeOfFlag(flag);
    if (flag === '\0' && nameBytes[nameBytes.length - 1] === 0x2f) type = 'directory';

    const header: TarHeader = {
      name: '',
      nameBytes,
      type,
      typeflag: flag,
      mode: this.numberField(buf, at, F.mode, 'mode', where) & 0o7777,
      uid: this.numberField(buf, at, F.uid, 'uid', where),
      gid: this.numberField(buf, at, F.gid, 'gid', where),
      size: this.numberField(buf, at, F.size, 'size', where),
      mtime: this.numberField(buf, at, F.mtime, 'mtime', where),
      linkname: '',
      linknameBytes: copyField(buf, at + F.linkname[0], at + F.linkname[1]),
      uname: ustar || gnu ? stringField(buf, at + F.uname[0], at + F.uname[1]) : '',
      gname: ustar || gnu ? stringField(buf, at + F.gname[0], at + F.gname[1]) : '',
      devmajor: 0,
      devminor: 0,
      xattrs: NO_RECORDS,
      pax: NO_RECORDS,
    };
    if ((ustar || gnu) && (type === 'char' || type === 'block')) {
      header.devmajor = this.numberField(buf, at, F.devmajor, 'devmajor', where);
      header.devminor = this.numberField(buf, at, F.devminor, 'devminor', where);
    }
    this.applyExtensions(header, where);
    if (header.uid < 0 || header.gid < 0) throw new StrataError('invalid-argument', `${where.text()}: negative uid or gid`);
    if (header.size < 0) throw new StrataError('invalid-argument', `${where.text()}: negative size ${header.size}`);
    if (isHeaderOnly(type)) header.size = 0;
    if (header.nameBytes.includes(0) || header.linknameBytes.includes(0)) {
      throw new StrataError('invalid-argument', `${where.text()}: name or link target contains a NUL byte`);
    }
    header.name = header.nameBytes.toString('utf8');
    header.linkname = header.linknameBytes.length === 0 ? '' : header.linknameBytes.toString('utf8');

    this.current = header;
    this.remaining = header.size;
    this.padding = (BLOCK_SIZE - (header.size % BLOCK_SIZE)) % BLOCK_SIZE;
    this.handlers.onEntry(header);
    if (header.size === 0) this.finishEntry();
    else this.state = State.Body;
  }

  private numberField(buf: Buffer, at: number, field: readonly [number, number], what: string, where: EntryWhere): number {
    const v = parseNumber(buf, at + field[0], at + field[1]);
    if (Number.isNaN(v)) {
      throw new StrataError('invalid-argument', `${where.text()}: invalid ${what} field ${JSON.stringify(buf.toString('latin1', at + field[0], at + field[1]))}`);
    }
    return v;
  }

  /** Folds global and per-entry PAX records and GNU long names into the header. */
  private applyExtensions(header: TarHeader, where: EntryWhere): void {
    let records: Map<string, Buffer> | undefined;
    if (this.globalPax.size > 0) {
      records = new Map(this.globalPax);
      if (this.pendingPax !== undefined) for (const [k, v] of this.pendingPax) records.set(k, v);
    } else {
      records = this.pendingPax;
    }
    this.pendingPax = undefined;
    if (records !== undefined) {
      for (const [key, value] of records) this.applyRecord(header, key, value, where);
    }
    // GNU long names win over PAX paths, as in Go's archive/tar (what docker reads layers with).
    if (this.longName !== undefined) header.nameBytes = this.longName;
    if (this.longLink !== undefined) header.linknameBytes = this.longLink;
    this.longName = undefined;
    this.longLink = undefined;
  }

  private applyRecord(header: TarHeader, key: string, value: Buffer, where: EntryWhere): void {
    const bad = (): StrataError =>
      new StrataError('invalid-argument', `${where.text()}: invalid PAX record ${key}=${JSON.stringify(value.toString('latin1'))}`);
    if (key.startsWith('SCHILY.xattr.')) {
      ownRecords(header, 'xattrs').set(key.slice(13), value);
      return;
    }
    if (key.startsWith('GNU.sparse.')) {
      throw new StrataError('invalid-argument', `${where.text()} is a GNU sparse file (PAX ${key}), which strata does not read`, {
        hint: 'recreate the archive without --sparse',
      });
    }
    // An empty value for a standard key means "use the header field" (POSIX).
    switch (key) {
      case 'path':
        if (value.length > 0) header.nameBytes = value;
        return;
      case 'linkpath':
        if (value.length > 0) header.linknameBytes = value;
        return;
      case 'size':
      case 'uid':
      case 'gid': {
        if (value.length === 0) return;
        const n = parsePaxInteger(value);
        if (Number.isNaN(n)) throw bad();
        header[key] = n;
        return;
      }
      case 'mtime': {
        if (value.length === 0) return;
        const t = parsePaxTime(value);
        if (Number.isNaN(t)) throw bad();
        header.mtime = t;
        return;
      }
      case 'uname':
      case 'gname':
        if (value.length > 0) header[key] = value.toString('utf8');
        return;
      case 'SCHILY.devmajor':
      case 'SCHILY.devminor': {
        const n = parsePaxInteger(value);
        if (Number.isNaN(n)) throw bad();
        if (key === 'SCHILY.devmajor') header.devmajor = n;
        else header.devminor = n;
        return;
      }
      default:
        if (key.startsWith('LIBARCHIVE.xattr.')) {
          // bsdtar: URL-encoded name, base64 value; SCHILY records win when both exist.
          let name: string;
          try {
            name = decodeURIComponent(key.slice(17));
          } catch {
            throw bad();
          }
          if (!header.xattrs.has(name)) ownRecords(header, 'xattrs').set(name, Buffer.from(value.toString('latin1'), 'base64'));
          return;
        }
        ownRecords(header, 'pax').set(key, value);
    }
  }

  private finishMeta(): void {
    const data = this.metaBuf;
    const what = `extended header #${this.headerIndex - 1} at byte ${this.headerOffset}`;
    switch (this.metaFlag) {
      case 'x':
      case 'g': {
        const into = this.metaFlag === 'x' ? (this.pendingPax ??= new Map()) : new Map<string, Buffer>();
        try {
          parsePaxRecords(data, into);
        } catch (err) {
          throw new StrataError('invalid-argument', `tar ${what}: ${(err as Error).message}`);
        }
        if (this.metaFlag === 'g') {
          for (const [k, v] of into) {
            if (v.length === 0) this.globalPax.delete(k);
            else this.globalPax.set(k, v);
          }
        }
        break;
      }
      case 'L':
      case 'K': {
        let nul = data.indexOf(0);
        if (nul === -1) nul = data.length;
        const bytes = Buffer.from(data.subarray(0, nul));
        if (this.metaFlag === 'L') this.longName = bytes;
        else this.longLink = bytes;
        break;
      }
    }
    this.metaBuf = ZERO_BLOCK;
    this.state = this.padding > 0 ? State.Padding : State.Header;
  }

  private finishEntry(): void {
    this.state = this.padding > 0 ? State.Padding : State.Header;
    this.handlers.onEntryEnd?.();
  }

  private describe(): string {
    const h = this.current;
    return h === undefined ? 'an entry' : `tar entry ${JSON.stringify(h.name)} (#${this.headerIndex - 1})`;
  }

  private headerError(code: ErrorCode, message: string): StrataError {
    return new StrataError(code, `tar header #${this.headerIndex} at byte ${this.headerOffset}: ${message}`);
  }
}
