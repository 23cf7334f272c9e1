/**
 * Turns a layer blob's bytes, fed as they arrive, into the uncompressed tar a LayerSink
 * takes: the compression is read from the magic bytes (as containerd does; media types
 * are sometimes wrong), gzip is undone by node:zlib on the thread pool, zstd by the `zstd`
 * CLI. Back-pressure flows from the sink to the feeder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalidArgument, StrataError, unavailable, unimplemented } from '../errdefs/index.ts';
import type { LayerMeasure } from '../archive/index.ts';
import { sniffCompression } from '../diff/index.ts';
import type { LayerSink } from './layer-sink.ts';

const CHUNK = 256 * 1024;

export class LayerDecoder {
  private head: Buffer[] = [];
  private headLength = 0;
  private started = false;
  private filter: Duplex | undefined;
  private pump: Promise<void> | undefined;
  private failure: unknown;
  /** Compressed bytes taken so far. */
  consumed = 0;

  constructor(
    private readonly sink: LayerSink,
    /** How errors name the layer: `layer sha256:…`. */
    private readonly what: string,
  ) {}

  /** Feeds compressed (or plain) blob bytes. */
  async write(chunk: Buffer): Promise<void> {
    this.consumed += chunk.length;
    if (!this.started) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength < 6) return;
      chunk = this.begin();
    }
    await this.forward(chunk);
  }

  private begin(): Buffer {
    this.started = true;
    const head = Buffer.concat(this.head);
    this.head = [];
    const compression = sniffCompression(head);
    if (compression === 'bzip2' || compression === 'xz') {
      throw unimplemented(`${this.what}: ${compression}-compressed layers are not supported`, { hint: 'layers may be uncompressed, gzip or zstd' });
    }
    if (compression === 'gzip') this.filter = createGunzip({ chunkSize: CHUNK });
    else if (compression === 'zstd') this.filter = zstdFilter(this.what);
    if (this.filter !== undefined) {
      const filter = this.filter;
      // Errors reach us through the iterator below; this keeps a late one from being unhandled.
      filter.on('error', () => undefined);
      this.pump = (async () => {
        for await (const out of filter) await this.sink.write(out as Buffer);
      })();
      this.pump.catch((err: unknown) => {
        this.failure = err;
      });
    }
    return head;
  }

  private async forward(chunk: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.translate(this.failure);
    const filter = this.filter;
    if (filter === undefined) {
      await this.sink.write(chunk);
      return;
    }
    if (!filter.write(chunk)) {
      try {
        await Promise.race([once(filter, 'drain'), this.pump]);
      } catch (err) {
        throw this.translate(err);
      }
    }
    if (this.failure !== undefined) throw this.translate(this.failure);
  }

  /** All bytes fed: drains the decompressor and finishes the sink. */
  async end(): Promise<LayerMeasure> {
    if (!this.started) await this.forward(this.begin());
    if (this.filter !== undefined) {
      this.filter.end();
      try {
        await this.pump;
      } catch (err) {
        throw this.translate(err);
      }
    }
    return this.sink.end();
  }

  /** Stops everything and lets the sink undo its work. */
  async abort(reason: unknown): Promise<void> {
    this.filter?.destroy();
    await this.pump?.catch(() => undefined);
    try {
      await this.sink.abort(reason);
    } catch {
      // abort never throws by contract; a broken sink must not hide the first error.
    }
  }

  private translate(err: unknown): unknown {
    if (err instanceof StrataError) return err;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || /incorrect header|invalid (block|distance|stored)|unexpected end/i.test((err as Error).message ?? '')) {
      return invalidArgument(`${this.what}: compressed data is corrupt: ${(err as Error).message}`, { cause: err });
    }
    return err;
  }
}

/** The `zstd` CLI as a Duplex (Node 20 has no zstd). */
function zstdFilter(what: string): Duplex {
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough({ highWaterMark: CHUNK });
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => duplex.destroy(unavailable(`${what}: cannot run zstd: ${err.message}`, { hint: 'install the zstd package' })));
  child.on('close', (code) => {
    if (code === 0) out.end();
    else if (!duplex.destroyed) duplex.destroy(invalidArgument(`${what}: zstd: ${stderr.trim() || `exit status ${code}`}`));
  });
  child.stdin.on('error', () => { /* zstd exited early; its status says why */ });
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}
