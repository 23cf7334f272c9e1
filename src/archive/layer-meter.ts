/**
 * Measures a layer while its bytes stream past: the digest of the uncompressed tar (its
 * diff_id), the tar's length, and the size docker reports for the layer once extracted —
 * regular file bytes plus symlink target lengths, hardlinks counted once (moby's
 * `directory.Size` of the layer directory). Synchronous, to run inside parser callbacks.
 */
import { createHash, type Hash } from 'node:crypto';
import { StrataError } from '../errdefs/index.ts';
import { TarParser, type TarHeader } from '../internal/tar/index.ts';
import type { Digest } from '../oci/index.ts';

export interface LayerMeasure {
  diffId: Digest;
  size: number;
  tarSize: number;
}

export class LayerMeter {
  private readonly hash: Hash | undefined;
  private readonly parser: TarParser;
  private readonly sizes = new Map<string, number>();
  private tarSize = 0;
  private error: unknown;

  /**
   * @param options.hash false when the same bytes are hashed anyway (an uncompressed layer
   *   written to the content store: its blob digest is its diff_id), given then to `end`.
   */
  constructor(options: { hash?: boolean } = {}) {
    this.hash = options.hash === false ? undefined : createHash('sha256');
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
    this.hash?.update(chunk);
    this.tarSize += chunk.length;
    if (this.error !== undefined) return;
    try {
      this.parser.write(chunk);
    } catch (err) {
      this.error = err;
    }
  }

  /**
   * Checks that the bytes were a whole tar (before anything is kept of them).
   * @throws the parser's error when they are not
   */
  validate(): void {
    if (this.error === undefined) {
      try {
        this.parser.end();
      } catch (err) {
        this.error = err;
      }
    }
    if (this.error !== undefined) throw this.error;
  }

  /**
   * Finishes the measurement; `diffId` is the stream's digest when the meter did not hash it.
   * @throws the parser's error when the bytes are not a valid tar
   */
  end(diffId?: Digest): LayerMeasure {
    this.validate();
    let size = 0;
    for (const s of this.sizes.values()) size += s;
    if (this.hash !== undefined) return { diffId: `sha256:${this.hash.digest('hex')}`, size, tarSize: this.tarSize };
    if (diffId === undefined) throw new StrataError('internal', 'layer meter: no digest given for an unhashed layer');
    return { diffId, size, tarSize: this.tarSize };
  }
}
