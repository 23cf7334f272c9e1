/**
 * The union of a stack of layer scans, built the way overlayfs shows it: later entries
 * replace earlier ones, whiteouts remove a path and all below it, an opaque directory hides
 * what lower layers hold under it. Every body that stops being visible is reported to the
 * caller, with who hid it: that is the waste the analysis counts. A hardlink shares its
 * target's body: when the target goes but a link of the same layer stays, the body stays
 * visible through the link (it is not waste). A path leaves the tree before what it held is
 * reported, so a link is only ever seen where it is still visible.
 *
 * The tree is typed arrays over the scans' columns, not objects (a million paths would be a
 * million map entries and name strings): node `1 + n` is entry `n` of the stack (counted
 * across layers, bottom first), whose kind, size and name (its path's last part) the scan
 * holds, and a directory no entry names gets a node after those. A node is its parent, its
 * first child and next sibling; one open-addressing table finds a child by (parent, name).
 * A node that leaves the tree is marked dead, never reused; a node that replaces another
 * takes its place among its siblings, so children are visited in the order a map keyed by
 * name would give (a replaced name keeps its place, a removed and re-added one goes last):
 * the order in which bodies move to hardlinks depends on it.
 */
import type { EntryKind } from './scan-types.ts';
import { KIND_CODE, KINDS, type ScanTable } from './scan-table.ts';

export interface TreeNode {
  kind: EntryKind;
  /** Index of the layer whose entry made this node. */
  layer: number;
  size: number;
  sha256: string;
  /** A hardlink's target path (the tar names it: an earlier entry of the same layer). */
  link?: string;
}

/** Why a stored body is not visible in the final tree. */
export type HiddenReason = 'overwritten' | 'removed' | 'opaque';

export interface HiddenFile {
  path: string;
  /** The layer that stores the body. */
  layer: number;
  size: number;
  reason: HiddenReason;
  /** The layer whose entry hid it. */
  byLayer: number;
}

const NONE = -1;
const ROOT = 0;
const SLASH = 0x2f;
const DIR = KIND_CODE.dir;
const HARDLINK = KIND_CODE.hardlink;
/** Node states besides 0 (not, or not yet, in the tree): in it, gone from it (its `parent` then names the node that took its place, or NONE). */
const LIVE = 1;
const DEAD = 2;
const EMPTY_BUF = Buffer.alloc(0);

export class FileTree {
  /** Node id of each layer's entry 0. */
  private readonly starts: number[] = [];
  /** The first node id of the directories no entry names. */
  private readonly madeBase: number;
  private parent: Int32Array;
  private state: Uint8Array;
  /** Children, newest first; a dead child forwards to the node that took its place. */
  private firstChild: Int32Array;
  private nextSibling: Int32Array;
  private count: number;
  /** A made directory's layer (whose entry made it) and where its name lies in that scan's paths. */
  private madeLayer: Int32Array;
  private madeNameStart: Uint32Array;
  private madeNameEnd: Uint32Array;
  /** Open addressing, linear probing: node ids by hash of (parent, name); NONE where empty. */
  private slots: Int32Array;
  private inTable = 0;
  /** A body handed on to a hardlink: its size and hash, by the link's node. */
  private readonly movedSize = new Map<number, number>();
  private readonly movedHash = new Map<number, string>();
  /** Hardlinks by target path: where a target's body may live on. */
  private readonly links = new Map<string, string[]>();
  private scratch = Buffer.allocUnsafe(1024);
  /** Where `name` put a node's name. */
  private nameBuf: Buffer = EMPTY_BUF;
  private nameStart = 0;
  private nameEnd = 0;

  /**
   * @param scans the stack, bottom first; `apply` takes their entries one by one, each once
   * @param onHidden called for every regular file (and other non-directory) that stops being visible
   */
  constructor(private readonly scans: readonly ScanTable[], private readonly onHidden: (file: HiddenFile) => void) {
    let next = 1;
    for (const scan of scans) {
      this.starts.push(next);
      next += scan.length;
    }
    this.madeBase = next;
    this.count = next;
    const capacity = next + 64;
    this.parent = new Int32Array(capacity);
    this.state = new Uint8Array(capacity);
    this.firstChild = new Int32Array(capacity).fill(NONE);
    this.nextSibling = new Int32Array(capacity).fill(NONE);
    this.madeLayer = new Int32Array(64);
    this.madeNameStart = new Uint32Array(64);
    this.madeNameEnd = new Uint32Array(64);
    let slots = 16;
    while (slots * 0.75 < next) slots *= 2;
    this.slots = new Int32Array(slots).fill(NONE);
    this.state[ROOT] = LIVE;
    this.parent[ROOT] = NONE;
  }

  /** Applies entry `at` of layer `layer`; true when it replaced or removed a path that was visible. */
  apply(layer: number, at: number): boolean {
    const scan = this.scans[layer] as ScanTable;
    const buf = scan.columns.paths;
    const start = scan.columns.pathEnds[at] as number;
    const end = scan.columns.pathEnds[at + 1] as number;
    const kind = scan.kindCode(at);
    if (kind === KIND_CODE.opaque) {
      this.hideLower(this.ensureDir(layer, start, end), buf.toString('utf8', start, end), layer);
      return false;
    }
    let slash = end - 1;
    while (slash >= start && buf[slash] !== SLASH) slash--;
    const parentEnd = slash < start ? start : slash;
    const nameStart = slash < start ? start : slash + 1;
    if (kind === KIND_CODE.whiteout) {
      const parent = this.find(buf, start, parentEnd);
      const existing = parent === NONE ? NONE : this.child(parent, buf, nameStart, end);
      if (existing === NONE) return false;
      this.unhash(existing);
      this.hideAll(existing, buf.toString('utf8', start, end), 'removed', layer);
      this.release(existing, NONE);
      return true;
    }
    const parent = this.ensureDir(layer, start, parentEnd);
    const existing = this.child(parent, buf, nameStart, end);
    if (kind === DIR && existing !== NONE && this.kindOf(existing) === DIR) return false;
    if (existing !== NONE) this.unhash(existing);
    const node = (this.starts[layer] as number) + at;
    this.place(node, parent, existing);
    if (kind === HARDLINK) {
      const target = scan.link(at) ?? '';
      const path = buf.toString('utf8', start, end);
      const list = this.links.get(target);
      if (list === undefined) this.links.set(target, [path]);
      else list.push(path);
    }
    if (existing === NONE) return false;
    this.hideAll(existing, buf.toString('utf8', start, end), 'overwritten', layer);
    this.release(existing, node);
    return true;
  }

  /** The node at `path` ('' is the root), if visible. */
  lookup(path: string): TreeNode | undefined {
    const id = this.findPath(path);
    return id === NONE ? undefined : this.nodeOf(id);
  }

  /** Calls `visit` for every visible node below the root, in no particular order. */
  forEachNode(visit: (kind: number, layer: number, size: number) => void): void {
    this.scans.forEach((scan, layer) => {
      const first = this.starts[layer] as number;
      for (let at = 0; at < scan.length; at++) {
        const id = first + at;
        if (this.state[id] === LIVE) visit(scan.kindCode(at), layer, this.sizeOf(id));
      }
    });
    for (let id = this.madeBase; id < this.count; id++) {
      if (this.state[id] === LIVE) visit(DIR, this.madeLayer[id - this.madeBase] as number, 0);
    }
  }

  /** Calls `visit` for every visible node below the root, parents before children. */
  walk(visit: (path: string, node: TreeNode) => void): void {
    const stack: [string, number][] = [['', ROOT]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [path, id] = item;
      for (const child of this.childrenOf(id)) {
        const p = join(path, this.nameText(child));
        visit(p, this.nodeOf(child));
        if (this.kindOf(child) === DIR) stack.push([p, child]);
      }
    }
  }

  /** The layer of an entry's node (not the root's, not a made directory's). */
  private entryLayer(id: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    // The last layer whose first node is at or before `id` (empty layers share their start).
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private layerOf(id: number): number {
    if (id === ROOT) return -1;
    return id >= this.madeBase ? this.madeLayer[id - this.madeBase] as number : this.entryLayer(id);
  }

  private kindOf(id: number): number {
    if (id === ROOT || id >= this.madeBase) return DIR;
    const layer = this.entryLayer(id);
    return (this.scans[layer] as ScanTable).kindCode(id - (this.starts[layer] as number));
  }

  /** A directory's size is 0 whatever its entry says; a hardlink's is its target's once the body moved to it. */
  private sizeOf(id: number): number {
    if (id === ROOT || id >= this.madeBase) return 0;
    const layer = this.entryLayer(id);
    const scan = this.scans[layer] as ScanTable;
    const at = id - (this.starts[layer] as number);
    if (scan.kindCode(at) === DIR) return 0;
    return this.movedSize.get(id) ?? scan.size(at);
  }

  private nodeOf(id: number): TreeNode {
    const kind = this.kindOf(id);
    const node: TreeNode = { kind: KINDS[kind] ?? 'other', layer: this.layerOf(id), size: this.sizeOf(id), sha256: '' };
    if (id === ROOT || id >= this.madeBase) return node;
    const layer = this.entryLayer(id);
    const scan = this.scans[layer] as ScanTable;
    const at = id - (this.starts[layer] as number);
    node.sha256 = this.movedHash.get(id) ?? scan.hashHex(at);
    const link = scan.link(at);
    if (link !== undefined) node.link = link;
    return node;
  }

  /** Sets `nameBuf`, `nameStart`, `nameEnd` to where node `id`'s name lies. */
  private name(id: number): void {
    if (id === ROOT) {
      this.nameBuf = EMPTY_BUF;
      this.nameStart = 0;
      this.nameEnd = 0;
    } else if (id >= this.madeBase) {
      const made = id - this.madeBase;
      this.nameBuf = (this.scans[this.madeLayer[made] as number] as ScanTable).columns.paths;
      this.nameStart = this.madeNameStart[made] as number;
      this.nameEnd = this.madeNameEnd[made] as number;
    } else {
      const layer = this.entryLayer(id);
      const { paths, pathEnds } = (this.scans[layer] as ScanTable).columns;
      const at = id - (this.starts[layer] as number);
      const first = pathEnds[at] as number;
      const end = pathEnds[at + 1] as number;
      let start = end;
      while (start > first && paths[start - 1] !== SLASH) start--;
      this.nameBuf = paths;
      this.nameStart = start;
      this.nameEnd = end;
    }
  }

  private nameText(id: number): string {
    this.name(id);
    return this.nameBuf.toString('utf8', this.nameStart, this.nameEnd);
  }

  /** The live children of directory `id`, oldest first (a replaced child's place holds its successor). */
  private childrenOf(id: number): number[] {
    const out: number[] = [];
    for (let c = this.firstChild[id] as number; c !== NONE; c = this.nextSibling[c] as number) {
      const live = this.resolve(c);
      if (live !== NONE) out.push(live);
    }
    return out.reverse();
  }

  /** The live node that holds the place of `id` among its siblings, or NONE. */
  private resolve(id: number): number {
    let c = id;
    while (c !== NONE && this.state[c] === DEAD) c = this.parent[c] as number;
    return c;
  }

  /** Puts node `id` in the tree under `parent`, in the place of `replaced` (out of the table already) if any. */
  private place(id: number, parent: number, replaced: number): void {
    this.parent[id] = parent;
    this.state[id] = LIVE;
    this.rehash(id);
    if (replaced !== NONE) return;
    this.nextSibling[id] = this.firstChild[parent] as number;
    this.firstChild[parent] = id;
  }

  /** A node for a directory no entry names, the part `[nameStart, nameEnd)` of a path of layer `layer`. */
  private newDir(layer: number, nameStart: number, nameEnd: number): number {
    if (this.count === this.state.length) this.grow();
    const id = this.count++;
    const made = id - this.madeBase;
    if (made === this.madeLayer.length) {
      const widen = <T extends Int32Array | Uint32Array>(old: T, make: (n: number) => T): T => {
        const bigger = make(old.length * 2);
        bigger.set(old);
        return bigger;
      };
      this.madeLayer = widen(this.madeLayer, (n) => new Int32Array(n));
      this.madeNameStart = widen(this.madeNameStart, (n) => new Uint32Array(n));
      this.madeNameEnd = widen(this.madeNameEnd, (n) => new Uint32Array(n));
    }
    this.madeLayer[made] = layer;
    this.madeNameStart[made] = nameStart;
    this.madeNameEnd[made] = nameEnd;
    return id;
  }

  private grow(): void {
    const n = this.state.length + Math.max(1024, this.state.length >> 2);
    const widen = <T extends Int32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const bigger = make(n);
      bigger.set(old);
      return bigger;
    };
    this.parent = widen(this.parent, (k) => new Int32Array(k));
    this.state = widen(this.state, (k) => new Uint8Array(k));
    this.firstChild = widen(this.firstChild, (k) => new Int32Array(k).fill(NONE));
    this.nextSibling = widen(this.nextSibling, (k) => new Int32Array(k).fill(NONE));
  }

  /** FNV-1a over the name's bytes, seeded with the parent. */
  private hashOf(parent: number, buf: Buffer, start: number, end: number): number {
    let h = Math.imul(parent ^ 0x811c9dc5, 0x9e3779b1);
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  }

  private hashOfNode(id: number): number {
    this.name(id);
    return this.hashOf(this.parent[id] as number, this.nameBuf, this.nameStart, this.nameEnd);
  }

  /** Puts node `id` in the table (its (parent, name) is in none of the table's nodes). */
  private rehash(id: number): void {
    if ((this.inTable + 1) > this.slots.length * 0.75) this.growTable();
    const mask = this.slots.length - 1;
    let s = this.hashOfNode(id) & mask;
    while (this.slots[s] !== NONE) s = (s + 1) & mask;
    this.slots[s] = id;
    this.inTable++;
  }

  private growTable(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(NONE);
    const mask = this.slots.length - 1;
    for (const id of old) {
      if (id === NONE) continue;
      let s = this.hashOfNode(id) & mask;
      while (this.slots[s] !== NONE) s = (s + 1) & mask;
      this.slots[s] = id;
    }
  }

  /** Takes node `id` out of the table (backward-shift deletion: no tombstones). */
  private unhash(id: number): void {
    const mask = this.slots.length - 1;
    let hole = this.hashOfNode(id) & mask;
    while (this.slots[hole] !== id) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; this.slots[j] !== NONE; j = (j + 1) & mask) {
      const other = this.slots[j] as number;
      const home = this.hashOfNode(other) & mask;
      // `other` may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        this.slots[hole] = other;
        hole = j;
      }
    }
    this.slots[hole] = NONE;
    this.inTable--;
  }

  /** The child of `parent` named `buf[start .. end]`, or NONE. */
  private child(parent: number, buf: Buffer, start: number, end: number): number {
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let s = this.hashOf(parent, buf, start, end) & mask; ; s = (s + 1) & mask) {
      const id = this.slots[s] as number;
      if (id === NONE) return NONE;
      if (this.parent[id] !== parent) continue;
      this.name(id);
      const names = this.nameBuf;
      const nameStart = this.nameStart;
      if (this.nameEnd - nameStart !== length) continue;
      let i = 0;
      while (i < length && names[nameStart + i] === buf[start + i]) i++;
      if (i === length) return id;
    }
  }

  /** The visible node at path `buf[start .. end]` ('' is the root), or NONE. */
  private find(buf: Buffer, start: number, end: number): number {
    if (start === end) return ROOT;
    let node = ROOT;
    for (let from = start, i = start; i <= end; i++) {
      if (i < end && buf[i] !== SLASH) continue;
      // A non-directory has no children in the table: the walk ends there.
      node = this.child(node, buf, from, i);
      if (node === NONE) return NONE;
      from = i + 1;
    }
    return node;
  }

  /** `find` for a path given as a string. */
  private findPath(path: string): number {
    const need = Buffer.byteLength(path);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    return this.find(this.scratch, 0, this.scratch.write(path, 0, 'utf8'));
  }

  /**
   * The directory at `[start, end)` of layer `layer`'s paths, made (as that layer's) where
   * missing; a non-directory in the way is replaced.
   */
  private ensureDir(layer: number, start: number, end: number): number {
    if (start === end) return ROOT;
    const buf = (this.scans[layer] as ScanTable).columns.paths;
    let node = ROOT;
    for (let from = start, i = start; i <= end; i++) {
      if (i < end && buf[i] !== SLASH) continue;
      let next = this.child(node, buf, from, i);
      if (next === NONE || this.kindOf(next) !== DIR) {
        const replaced = next;
        if (replaced !== NONE) this.unhash(replaced);
        next = this.newDir(layer, from, i);
        this.place(next, node, replaced);
        if (replaced !== NONE) {
          this.hideAll(replaced, buf.toString('utf8', start, i), 'overwritten', layer);
          this.release(replaced, next);
        }
      }
      node = next;
      from = i + 1;
    }
    return node;
  }

  /**
   * Marks node `id` (out of the table already) and everything below it dead; `successor`
   * takes its place among its siblings.
   */
  private release(id: number, successor: number): void {
    if (this.kindOf(id) === DIR) {
      for (const c of this.childrenOf(id)) {
        this.unhash(c);
        this.release(c, NONE);
      }
    }
    this.state[id] = DEAD;
    this.parent[id] = successor;
  }

  /** Reports every non-directory in the subtree at `id` as hidden. */
  private hideAll(id: number, path: string, reason: HiddenReason, byLayer: number): void {
    if (this.kindOf(id) !== DIR) {
      this.hide(id, path, reason, byLayer);
      return;
    }
    for (const c of this.childrenOf(id)) this.hideAll(c, join(path, this.nameText(c)), reason, byLayer);
  }

  /** Reports a node that left the tree, unless its body lives on in a visible hardlink. */
  private hide(id: number, path: string, reason: HiddenReason, byLayer: number): void {
    const size = this.sizeOf(id);
    if (size > 0 && this.bodyLivesOn(id, path)) return;
    this.onHidden({ path, layer: this.layerOf(id), size, reason, byLayer });
  }

  /** The target of hardlink node `id`, or undefined (another kind). */
  private targetOf(id: number): string | undefined {
    if (id === ROOT || id >= this.madeBase) return undefined;
    const layer = this.entryLayer(id);
    return (this.scans[layer] as ScanTable).link(id - (this.starts[layer] as number));
  }

  /** Hands the body of node `id` (gone from `path`) to a visible hardlink of its layer, if one is left. */
  private bodyLivesOn(id: number, path: string): boolean {
    // A link that got the body hands it on to the target's other links.
    const target = this.targetOf(id) ?? path;
    const layer = this.layerOf(id);
    for (const linkPath of this.links.get(target) ?? []) {
      const link = this.findPath(linkPath);
      if (link === NONE || link === id || this.kindOf(link) !== HARDLINK || this.targetOf(link) !== target || this.layerOf(link) !== layer || this.sizeOf(link) !== 0) continue;
      this.movedSize.set(link, this.sizeOf(id));
      this.movedHash.set(link, this.nodeOf(id).sha256);
      return true;
    }
    return false;
  }

  /**
   * Under an opaque directory of layer `layer`: hides what lower layers made, keeps what
   * this layer made already. Returns true when nothing of the directory `id` stays.
   */
  private hideLower(id: number, path: string, layer: number): boolean {
    let kept = 0;
    for (const c of this.childrenOf(id)) {
      const childPath = join(path, this.nameText(c));
      if (this.kindOf(c) === DIR) {
        if (this.hideLower(c, childPath, layer)) {
          this.unhash(c);
          this.release(c, NONE);
        } else kept++;
      } else if (this.layerOf(c) < layer) {
        this.unhash(c);
        this.hide(c, childPath, 'opaque', layer);
        this.release(c, NONE);
      } else kept++;
    }
    return this.layerOf(id) < layer && kept === 0;
  }
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
