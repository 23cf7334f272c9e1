/**
 * Writes a tar stream to a Node Writable, respecting backpressure: every method resolves
 * once its bytes were accepted (or the stream asked for no more until 'drain'). Small
 * headers and bodies are gathered into 64 KiB writes; large body chunks go straight through.
 */
import type { Writable } from 'node:stream';
import { invalidArgument, StrataError } from '../../errdefs/index.ts';
import type { TarHeaderInit } from './header.ts';
import { encodeHeader, endOfArchive, paddingFor } from './encoder.ts';

export interface TarWriterOptions {
  /** Called with every buffer handed to the output, in order (to hash or count the stream). */
  onChunk?: (chunk: Buffer) => void;
  /** Gather writes up to this many bytes (default 64 KiB). */
  bufferSize?: number;
}

export type TarBody = Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;

export class TarWriter {
  private readonly buffer: Buffer;
  private fill = 0;
  private expected = 0;
  private written = 0;
  private entryName = '';
  private total = 0;
  private done = false;

  constructor(
    private readonly out: Writable,
    private readonly options: TarWriterOptions = {},
  ) {
    this.buffer = Buffer.allocUnsafe(options.bufferSize ?? 64 * 1024);
  }

  /** Bytes of tar produced so far (including what is still gathered). */
  get bytesWritten(): number {
    return this.total;
  }

  /** Writes a whole entry: its header, its body (exactly `header.size` bytes for files), its padding. */
  async add(header: TarHeaderInit, body?: TarBody): Promise<void> {
    await this.writeHeader(header);
    if (body !== undefined) {
      if (Buffer.isBuffer(body)) await this.writeData(body);
      else for await (const chunk of body) await this.writeData(chunk);
    }
    await this.endEntry();
  }

  /**
   * Starts an entry; its body follows through `writeData`, then `endEntry` (or the next
   * `writeHeader`/`finish`, which end it implicitly).
   */
  async writeHeader(header: TarHeaderInit): Promise<void> {
    await this.endEntry();
    const bytes = encodeHeader(header);
    this.entryName = header.name;
    this.expected = header.type === 'file' || header.type === 'unknown' ? (header.size ?? 0) : 0;
    this.written = 0;
    await this.push(bytes);
  }

  /**
   * Body bytes of the current entry. A chunk shorter than half the gather buffer (32 KiB by
   * default) is copied before this returns its promise, so the caller may reuse its buffer at
   * once; a larger one goes to the output as it is and must not be reused.
   * @throws StrataError 'invalid-argument' past the declared size.
   */
  async writeData(chunk: Buffer): Promise<void> {
    if (this.written + chunk.length > this.expected) {
      throw invalidArgument(`tar entry ${JSON.stringify(this.entryName)}: body is longer than its declared size ${this.expected}`);
    }
    this.written += chunk.length;
    await this.push(chunk);
  }

  /** Pads the current entry. @throws StrataError 'invalid-argument' if its body was short. */
  async endEntry(): Promise<void> {
    if (this.expected === 0 && this.written === 0) return;
    if (this.written !== this.expected) {
      throw invalidArgument(
        `tar entry ${JSON.stringify(this.entryName)}: body has ${this.written} bytes, its header says ${this.expected}`,
      );
    }
    const pad = paddingFor(this.expected);
    this.expected = 0;
    this.written = 0;
    if (pad.length > 0) await this.push(pad);
  }

  /** Ends the archive (two zero blocks) and flushes; ends `out` unless told not to. */
  async finish(options: { end?: boolean } = {}): Promise<void> {
    if (this.done) return;
    await this.endEntry();
    await this.push(endOfArchive());
    await this.flush();
    this.done = true;
    if (options.end !== false) this.out.end();
  }

  /** Hands gathered bytes to the output now. */
  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const chunk = Buffer.from(this.buffer.subarray(0, this.fill));
    this.fill = 0;
    await this.emit(chunk);
  }

  private async push(bytes: Buffer): Promise<void> {
    if (this.done) throw new StrataError('internal', 'tar writer: write after finish');
    this.total += bytes.length;
    const room = this.buffer.length - this.fill;
    if (bytes.length <= room) {
      bytes.copy(this.buffer, this.fill);
      this.fill += bytes.length;
      if (this.fill === this.buffer.length) await this.flush();
      return;
    }
    // No room: what is gathered goes out; small bytes are gathered first (before any await,
    // so their buffer is free at once), large ones follow it out as they are.
    const gathered = this.fill === 0 ? undefined : Buffer.from(this.buffer.subarray(0, this.fill));
    this.fill = 0;
    if (bytes.length < this.buffer.length / 2) {
      bytes.copy(this.buffer, 0);
      this.fill = bytes.length;
      if (gathered !== undefined) await this.emit(gathered);
    } else {
      if (gathered !== undefined) await this.emit(gathered);
      await this.emit(bytes);
    }
  }

  private async emit(chunk: Buffer): Promise<void> {
    this.options.onChunk?.(chunk);
    if (this.out.destroyed) throw new StrataError('canceled', 'tar writer: the output was closed before the archive was complete');
    if (!this.out.write(chunk)) await waitDrain(this.out);
  }
}

function waitDrain(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(new StrataError('canceled', 'tar writer: the output was closed before the archive was complete'));
    };
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}
