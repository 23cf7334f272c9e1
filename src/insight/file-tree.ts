/**
 * The union of a stack of layer scans, built the way overlayfs shows it: later entries
 * replace earlier ones, whiteouts remove a path and all below it, an opaque directory hides
 * what lower layers hold under it. Every body that stops being visible is reported to the
 * caller, with who hid it: that is the waste the analysis counts. A hardlink shares its
 * target's body: when the target goes but a link of the same layer stays, the body stays
 * visible through the link (it is not waste). A path leaves the tree before what it held is
 * reported, so a link is only ever seen where it is still visible.
 *
 * The tree is columns, not objects (a million paths would be a million map entries and name
 * strings): a node is an index into typed arrays (parent, kind, layer, size, where its name
 * ends in one buffer of UTF-8 names, first child, next sibling), and one open-addressing
 * table finds a child by (parent, name). A node that leaves the tree is marked dead, never
 * reused; a node that replaces another takes its place among its siblings, so children are
 * visited in the order a map keyed by name would give (a replaced name keeps its place, a
 * removed and re-added one goes last): the order in which bodies move to hardlinks depends
 * on it.
 */
import type { EntryKind, LayerEntry } from './scan-types.ts';
import { KIND_CODE, KINDS } from './scan-table.ts';

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
/** The kind of a node that left the tree; its `parent` then names the node that took its place (or NONE). */
const DEAD = 255;
const DIR = KIND_CODE.dir;
const HARDLINK = KIND_CODE.hardlink;
const MAX_NAMES = 2 ** 32 - 1;

export class FileTree {
  private parent: Int32Array;
  private kinds: Uint8Array;
  private layers: Int32Array;
  private sizes: Float64Array;
  /** Node `i`'s name is `names[nameEnds[i - 1] .. nameEnds[i]]` (names are written as nodes are made). */
  private nameEnds: Uint32Array;
  /** Children, newest first; a dead child forwards to the node that took its place. */
  private firstChild: Int32Array;
  private nextSibling: Int32Array;
  private names = Buffer.allocUnsafe(4096);
  private namesUsed = 0;
  private count = 0;
  /** Open addressing, linear probing: node ids by hash of (parent, name); NONE where empty. */
  private slots: Int32Array;
  private inTable = 0;
  /** Body hashes, for the nodes given one (most callers give none). */
  private readonly hashes = new Map<number, string>();
  /** Hardlink targets, by node. */
  private readonly targets = new Map<number, string>();
  /** Hardlinks by target path: where a target's body may live on. */
  private readonly links = new Map<string, string[]>();
  /** Where a path given as a string is encoded; links have their own (looked up in the middle of an apply). */
  private scratch = Buffer.allocUnsafe(1024);
  private linkScratch = Buffer.allocUnsafe(1024);

  /**
   * @param onHidden called for every regular file (and other non-directory) that stops being visible
   * @param expectedNodes how many nodes to make room for at once (the entries to apply, when known)
   */
  constructor(private readonly onHidden: (file: HiddenFile) => void, expectedNodes = 64) {
    const capacity = Math.max(16, expectedNodes + 1);
    this.parent = new Int32Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.layers = new Int32Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.nameEnds = new Uint32Array(capacity);
    this.firstChild = new Int32Array(capacity);
    this.nextSibling = new Int32Array(capacity);
    let slots = 16;
    while (slots * 0.75 < capacity) slots *= 2;
    this.slots = new Int32Array(slots).fill(NONE);
    this.newNode(NONE, DIR, -1, 0, this.names, 0, 0);
  }

  /** Applies one entry of layer `layer`; true when it replaced or removed a path that was visible. */
  apply(entry: LayerEntry, layer: number): boolean {
    const end = this.encode(entry.path);
    return this.applyBytes(this.scratch, 0, end, KIND_CODE[entry.kind], entry.size, layer, entry.link, entry.sha256);
  }

  /**
   * As `apply`, for an entry whose path is `buf[start .. end]` (UTF-8): a scan's column,
   * read without making a string of each path.
   */
  applyBytes(buf: Buffer, start: number, end: number, kind: number, size: number, layer: number, link?: string, sha256 = ''): boolean {
    if (kind === KIND_CODE.opaque) {
      this.hideLower(this.ensureDir(buf, start, end, layer), buf.toString('utf8', start, end), layer);
      return false;
    }
    let slash = end - 1;
    while (slash >= start && buf[slash] !== SLASH) slash--;
    const nameStart = slash < start ? start : slash + 1;
    if (kind === KIND_CODE.whiteout) {
      const parent = this.find(buf, start, slash < start ? start : slash);
      const existing = parent === NONE ? NONE : this.child(parent, buf, nameStart, end);
      if (existing === NONE) return false;
      this.unhash(existing);
      this.hideAll(existing, buf.toString('utf8', start, end), 'removed', layer);
      this.release(existing, NONE);
      return true;
    }
    const parent = this.ensureDir(buf, start, slash < start ? start : slash, layer);
    const existing = this.child(parent, buf, nameStart, end);
    if (kind === DIR && existing !== NONE && this.kinds[existing] === DIR) return false;
    if (existing !== NONE) this.unhash(existing);
    const node = this.newNode(parent, kind, layer, size, buf, nameStart, end);
    if (existing === NONE) this.addChild(parent, node);
    if (sha256 !== '') this.hashes.set(node, sha256);
    if (kind === HARDLINK && link !== undefined) {
      this.targets.set(node, link);
      const path = buf.toString('utf8', start, end);
      const list = this.links.get(link);
      if (list === undefined) this.links.set(link, [path]);
      else list.push(path);
    }
    if (existing === NONE) return false;
    this.hideAll(existing, buf.toString('utf8', start, end), 'overwritten', layer);
    this.release(existing, node);
    return true;
  }

  /** The node at `path` ('' is the root), if visible. */
  lookup(path: string): TreeNode | undefined {
    const id = this.find(this.scratch, 0, this.encode(path));
    return id === NONE ? undefined : this.nodeOf(id);
  }

  /** Calls `visit` for every visible node below the root, in no particular order. */
  forEachNode(visit: (kind: number, layer: number, size: number) => void): void {
    for (let id = ROOT + 1; id < this.count; id++) {
      const kind = this.kinds[id] as number;
      if (kind !== DEAD) visit(kind, this.layers[id] as number, this.sizes[id] as number);
    }
  }

  /** Calls `visit` for every visible node below the root, parents before children. */
  walk(visit: (path: string, node: TreeNode) => void): void {
    const stack: [string, number][] = [['', ROOT]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [path, id] = item;
      for (const child of this.childrenOf(id)) {
        const p = join(path, this.nameOf(child));
        visit(p, this.nodeOf(child));
        if (this.kinds[child] === DIR) stack.push([p, child]);
      }
    }
  }

  private nodeOf(id: number): TreeNode {
    const node: TreeNode = { kind: KINDS[this.kinds[id] as number] ?? 'other', layer: this.layers[id] as number, size: this.sizes[id] as number, sha256: this.hashes.get(id) ?? '' };
    const link = this.targets.get(id);
    if (link !== undefined) node.link = link;
    return node;
  }

  /** Writes `path` into the scratch buffer; returns its byte length. */
  private encode(path: string): number {
    const need = Buffer.byteLength(path);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    return this.scratch.write(path, 0, 'utf8');
  }

  /** The visible node at `path`, found without touching the scratch buffer an apply may be reading. */
  private findLink(path: string): number {
    const need = Buffer.byteLength(path);
    if (need > this.linkScratch.length) this.linkScratch = Buffer.allocUnsafe(Math.max(need, this.linkScratch.length * 2));
    return this.find(this.linkScratch, 0, this.linkScratch.write(path, 0, 'utf8'));
  }

  private nameOf(id: number): string {
    return this.names.toString('utf8', id === ROOT ? 0 : this.nameEnds[id - 1], this.nameEnds[id]);
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
    while (c !== NONE && this.kinds[c] === DEAD) c = this.parent[c] as number;
    return c;
  }

  private newNode(parent: number, kind: number, layer: number, size: number, buf: Buffer, nameStart: number, nameEnd: number): number {
    if (this.count === this.kinds.length) this.grow();
    const id = this.count++;
    const length = nameEnd - nameStart;
    if (this.namesUsed + length > this.names.length) {
      if (this.namesUsed + length > MAX_NAMES) throw new RangeError('an image\'s names total more than 4 GiB');
      const bigger = Buffer.allocUnsafe(Math.min(MAX_NAMES, Math.max(this.names.length * 2, this.namesUsed + length)));
      this.names.copy(bigger, 0, 0, this.namesUsed);
      this.names = bigger;
    }
    buf.copy(this.names, this.namesUsed, nameStart, nameEnd);
    this.namesUsed += length;
    this.nameEnds[id] = this.namesUsed;
    this.parent[id] = parent;
    this.kinds[id] = kind;
    this.layers[id] = layer;
    this.sizes[id] = size;
    this.firstChild[id] = NONE;
    this.nextSibling[id] = NONE;
    if (id !== ROOT) this.rehash(id);
    return id;
  }

  private addChild(parent: number, id: number): void {
    this.nextSibling[id] = this.firstChild[parent] as number;
    this.firstChild[parent] = id;
  }

  private grow(): void {
    const n = this.kinds.length * 2;
    const widen = <T extends Int32Array | Uint8Array | Uint32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const bigger = make(n);
      bigger.set(old);
      return bigger;
    };
    this.parent = widen(this.parent, (k) => new Int32Array(k));
    this.kinds = widen(this.kinds, (k) => new Uint8Array(k));
    this.layers = widen(this.layers, (k) => new Int32Array(k));
    this.sizes = widen(this.sizes, (k) => new Float64Array(k));
    this.nameEnds = widen(this.nameEnds, (k) => new Uint32Array(k));
    this.firstChild = widen(this.firstChild, (k) => new Int32Array(k));
    this.nextSibling = widen(this.nextSibling, (k) => new Int32Array(k));
  }

  /** FNV-1a over the name's bytes, seeded with the parent. */
  private hashOf(parent: number, buf: Buffer, start: number, end: number): number {
    let h = Math.imul(parent ^ 0x811c9dc5, 0x9e3779b1);
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  }

  private hashOfNode(id: number): number {
    return this.hashOf(this.parent[id] as number, this.names, id === ROOT ? 0 : this.nameEnds[id - 1] as number, this.nameEnds[id] as number);
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
      const nameEnd = this.nameEnds[id] as number;
      const nameStart = this.nameEnds[id - 1] as number;
      if (nameEnd - nameStart !== length) continue;
      let i = 0;
      while (i < length && this.names[nameStart + i] === buf[start + i]) i++;
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

  /** The directory at `buf[start .. end]`, made (as layer `layer`'s) where missing; a non-directory in the way is replaced. */
  private ensureDir(buf: Buffer, start: number, end: number, layer: number): number {
    if (start === end) return ROOT;
    let node = ROOT;
    for (let from = start, i = start; i <= end; i++) {
      if (i < end && buf[i] !== SLASH) continue;
      let next = this.child(node, buf, from, i);
      if (next === NONE || this.kinds[next] !== DIR) {
        const replaced = next;
        if (replaced !== NONE) this.unhash(replaced);
        next = this.newNode(node, DIR, layer, 0, buf, from, i);
        if (replaced === NONE) this.addChild(node, next);
        else {
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
    if (this.kinds[id] === DIR) {
      for (const c of this.childrenOf(id)) {
        this.unhash(c);
        this.release(c, NONE);
      }
    }
    this.kinds[id] = DEAD;
    this.parent[id] = successor;
  }

  /** Reports every non-directory in the subtree at `id` as hidden. */
  private hideAll(id: number, path: string, reason: HiddenReason, byLayer: number): void {
    if (this.kinds[id] !== DIR) {
      this.hide(id, path, reason, byLayer);
      return;
    }
    for (const c of this.childrenOf(id)) this.hideAll(c, join(path, this.nameOf(c)), reason, byLayer);
  }

  /** Reports a node that left the tree, unless its body lives on in a visible hardlink. */
  private hide(id: number, path: string, reason: HiddenReason, byLayer: number): void {
    const size = this.sizes[id] as number;
    if (size > 0 && this.bodyLivesOn(id, path)) return;
    this.onHidden({ path, layer: this.layers[id] as number, size, reason, byLayer });
  }

  /** Hands the body of node `id` (gone from `path`) to a visible hardlink of its layer, if one is left. */
  private bodyLivesOn(id: number, path: string): boolean {
    // A link that got the body hands it on to the target's other links.
    const target = (this.kinds[id] === HARDLINK ? this.targets.get(id) : undefined) ?? path;
    for (const linkPath of this.links.get(target) ?? []) {
      const link = this.findLink(linkPath);
      if (link === NONE || link === id || this.kinds[link] !== HARDLINK || this.targets.get(link) !== target || this.layers[link] !== this.layers[id] || this.sizes[link] !== 0) continue;
      this.sizes[link] = this.sizes[id] as number;
      const sha = this.hashes.get(id);
      if (sha === undefined) this.hashes.delete(link);
      else this.hashes.set(link, sha);
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
    for (let c of this.childrenOf(id)) {
      // A body handed on to a hardlink changes only its size: `c` is still the live node here.
      c = this.resolve(c);
      if (c === NONE) continue;
      const childPath = join(path, this.nameOf(c));
      if (this.kinds[c] === DIR) {
        if (this.hideLower(c, childPath, layer)) {
          this.unhash(c);
          this.release(c, NONE);
        } else kept++;
      } else if ((this.layers[c] as number) < layer) {
        this.unhash(c);
        this.hide(c, childPath, 'opaque', layer);
        this.release(c, NONE);
      } else kept++;
    }
    return (this.layers[id] as number) < layer && kept === 0;
  }
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
