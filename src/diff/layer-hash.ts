/**
 * The sha256 of a layer tar being written (the diff_id): on the calling thread while the
 * stream is small, on a HashThread once it passes 2 MiB, so a large diff's hashing overlaps
 * the walk, the reads and the header encoding (measured: bench/diff/README.md). A thread
 * costs more than it saves for the few-file layers most build steps make.
 */
import { createHash } from 'node:crypto';
import { OffThreadHash } from './hash-thread.ts';

const OFF_THREAD_AFTER = 2 << 20;

export class LayerHash {
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  private offThread: OffThreadHash | undefined;

  constructor(private readonly offThreadAfter = OFF_THREAD_AFTER) {}

  /** The next bytes of the stream. Until the thread starts they are kept: the caller must not reuse them. */
  update(chunk: Uint8Array): void {
    if (this.offThread !== undefined) {
      this.offThread.update(chunk);
      return;
    }
    this.early.push(chunk);
    this.earlyBytes += chunk.length;
    if (this.earlyBytes > this.offThreadAfter) {
      this.offThread = new OffThreadHash();
      for (const c of this.early) this.offThread.update(c);
      this.early = [];
    }
  }

  /** The hex digest of every byte given. */
  digest(): string {
    if (this.offThread !== undefined) return this.offThread.digest();
    const hash = createHash('sha256');
    for (const c of this.early) hash.update(c);
    this.early = [];
    return hash.digest('hex');
  }

  /** Gives the thread back when the stream failed. */
  abandon(): void {
    this.offThread?.abandon();
    this.early = [];
  }
}
