/**
 * Where each file body (by sha256) of a stack of scans was first seen, in one typed array
 * (open addressing on the hash's first 4 bytes) of entry numbers counted across the stack:
 * a million bodies cost 8 MB, where a Map keyed by hex strings cost over 100.
 */
import { KIND_CODE, type ScanTable } from './scan-table.ts';

const EMPTY = 0xffffffff;

export class BodyIndex {
  private readonly mask: number;
  /** Entry numbers: entry `i` of layer `l` is `starts[l] + i`. */
  private readonly entryOf: Uint32Array;
  private readonly starts: number[] = [];

  /** Sized for every non-empty file of `scans`. */
  constructor(private readonly scans: readonly ScanTable[]) {
    let files = 0;
    let entries = 0;
    for (const scan of scans) {
      this.starts.push(entries);
      entries += scan.length;
      for (let i = 0; i < scan.length; i++) if (scan.kindCode(i) === KIND_CODE.file && scan.size(i) > 0) files++;
    }
    if (entries >= EMPTY) throw new RangeError('an image of more than 4 billion entries');
    let capacity = 16;
    while (capacity < files * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.entryOf = new Uint32Array(capacity).fill(EMPTY);
  }

  /**
   * Records the body of entry `index` of layer `layer` if it is new (undefined), else says
   * where it was first seen; `slot` names the body for as long as the index lives.
   */
  firstOf(layer: number, index: number): { slot: number; layer: number; index: number } | undefined {
    const scan = this.scans[layer] as ScanTable;
    for (let slot = scan.hashKey(index) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.entryOf[slot] as number;
      if (entry === EMPTY) {
        this.entryOf[slot] = (this.starts[layer] as number) + index;
        return undefined;
      }
      // The layer holding that entry: the last one starting at or before it.
      let l = layer;
      while ((this.starts[l] as number) > entry) l--;
      const i = entry - (this.starts[l] as number);
      if ((this.scans[l] as ScanTable).sameHash(i, scan, index)) return { slot, layer: l, index: i };
    }
  }
}
