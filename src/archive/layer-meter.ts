/**
 * Measures a layer while its bytes stream past: the digest of the uncompressed tar (its
 * diff_id), the tar's length, and the size docker reports for the layer once extracted —
 * regular file bytes plus symlink target lengths, hardlinks counted once (moby's
 * `directory.Size` of the layer directory). Synchronous, to run inside parser callbacks.
 */
import { createHash } from 'node:crypto';
import { TarParser, type TarHeader } from '../internal/tar/index.ts';
import type { Digest } from '../oci/index.ts';

export interface LayerMeasure {
  diffId: Digest;
  size: number;
  tarSize: number;
}

export class LayerMeter {
  private readonly hash = createHash('sha256');
  private readonly parser: TarParser;
  private readonly sizes = new Map<string, number>();
  private tarSize = 0;
  private error: unknown;

  constructor() {
    this.parser = new TarParser({ onEntry: (h) => this.onEntry(h) });
  }

  private onEntry(header: TarHeader): void {
    const name = header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    let size = 0;
    if (header.type === 'file') size = header.size;
    else if (header.type === 'symlink') size = header.linknameBytes.length;
    // A later entry for the same path replaces the earlier one when extracted.
    if (header.type === 'directory') this.sizes.delete(name);
    else this.sizes.set(name, size);
  }

  /** Feeds uncompressed tar bytes. */
  write(chunk: Buffer): void {
    this.hash.update(chunk);
    this.tarSize += chunk.length;
    if (this.error !== undefined) return;
    try {
      this.parser.write(chunk);
    } catch (err) {
      this.error = err;
    }
  }

  /**
   * Finishes the measurement.
   * @throws the parser's error when the bytes are not a valid tar
   */
  end(): LayerMeasure {
    if (this.error === undefined) {
      try {
        this.parser.end();
      } catch (err) {
        this.error = err;
      }
    }
    if (this.error !== undefined) throw this.error;
    let size = 0;
    for (const s of this.sizes.values()) size += s;
    return { diffId: `sha256:${this.hash.digest('hex')}`, size, tarSize: this.tarSize };
  }
}
