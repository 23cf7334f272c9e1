/**
 * Where each file body (by sha256) of a stack of scans was first seen, in two typed arrays
 * (open addressing on the hash's first 4 bytes): a million bodies cost 16 MB, where a Map
 * keyed by hex strings cost over 100.
 */
import { KIND_CODE, type ScanTable } from './scan-table.ts';

const EMPTY = -1;

export class BodyIndex {
  private readonly mask: number;
  private readonly layerOf: Int32Array;
  private readonly indexOf: Int32Array;

  /** Sized for every non-empty file of `scans`. */
  constructor(private readonly scans: readonly ScanTable[]) {
    let files = 0;
    for (const scan of scans) for (let i = 0; i < scan.length; i++) if (scan.kindCode(i) === KIND_CODE.file && scan.size(i) > 0) files++;
    let capacity = 16;
    while (capacity < files * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.layerOf = new Int32Array(capacity).fill(EMPTY);
    this.indexOf = new Int32Array(capacity);
  }

  /**
   * Records the body of entry `index` of layer `layer` if it is new (undefined), else says
   * where it was first seen; `slot` names the body for as long as the index lives.
   */
  firstOf(layer: number, index: number): { slot: number; layer: number; index: number } | undefined {
    const scan = this.scans[layer] as ScanTable;
    for (let slot = scan.hashKey(index) & this.mask; ; slot = (slot + 1) & this.mask) {
      const l = this.layerOf[slot] as number;
      if (l === EMPTY) {
        this.layerOf[slot] = layer;
        this.indexOf[slot] = index;
        return undefined;
      }
      const i = this.indexOf[slot] as number;
      if ((this.scans[l] as ScanTable).sameHash(i, scan, index)) return { slot, layer: l, index: i };
    }
  }
}
