/**
 * The union of a stack of layer scans, built the way overlayfs shows it: later entries
 * replace earlier ones, whiteouts remove a path and all below it, an opaque directory hides
 * what lower layers hold under it. Every body that stops being visible is reported to the
 * caller, with who hid it: that is the waste the analysis counts. A hardlink shares its
 * target's body: when the target goes but a link of the same layer stays, the body stays
 * visible through the link (it is not waste). A path leaves the tree before what it held is
 * reported, so a link is only ever seen where it is still visible.
 *
 * A plain leaf (no body hash kept, not a hardlink) is stored as one number, kind, layer and
 * size packed: a small file is then no object at all (a small integer in its directory's
 * map), which is most of the memory a tree of a million files took.
 */
import type { EntryKind, LayerEntry } from './layer-scan.ts';
import { KIND_CODE, KINDS } from './scan-table.ts';

export interface TreeNode {
  kind: EntryKind;
  /** Index of the layer whose entry made this node. */
  layer: number;
  size: number;
  sha256: string;
  children: Map<string, Slot> | undefined;
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

/** What a directory's map holds: a node, or a plain leaf packed by `pack`. */
type Slot = TreeNode | number;

const KIND_BITS = 8;
const LAYER_SPAN = 1024;
/** Sizes from here on would lose bits once packed: such leaves stay objects. */
const PACKABLE_SIZE = 2 ** 53 / (LAYER_SPAN * KIND_BITS);

function pack(kind: EntryKind, layer: number, size: number): number | undefined {
  if (layer < 0 || layer >= LAYER_SPAN || size >= PACKABLE_SIZE) return undefined;
  return (size * LAYER_SPAN + layer) * KIND_BITS + KIND_CODE[kind];
}

/** The node a slot stands for (a packed leaf unpacked into a new object). */
function nodeOf(slot: Slot): TreeNode {
  if (typeof slot !== 'number') return slot;
  const code = slot % KIND_BITS;
  const rest = (slot - code) / KIND_BITS;
  const layer = rest % LAYER_SPAN;
  return { kind: KINDS[code] ?? 'other', layer, size: (rest - layer) / LAYER_SPAN, sha256: '', children: undefined };
}

function childrenOf(slot: Slot | undefined): Map<string, Slot> | undefined {
  return slot === undefined || typeof slot === 'number' ? undefined : slot.children;
}

function newDir(layer: number): TreeNode {
  return { kind: 'dir', layer, size: 0, sha256: '', children: new Map() };
}

export class FileTree {
  readonly root: TreeNode = newDir(-1);
  /** Hardlinks by target path: where a target's body may live on. */
  private readonly links = new Map<string, string[]>();

  /** @param onHidden called for every regular file (and other non-directory) that stops being visible */
  constructor(private readonly onHidden: (file: HiddenFile) => void) {}

  /** Applies one entry of layer `layer`; true when it replaced or removed a path that was visible. */
  apply(entry: LayerEntry, layer: number): boolean {
    if (entry.kind === 'opaque') {
      this.hideLower(this.ensureDir(entry.path, layer), entry.path, layer);
      return false;
    }
    const slash = entry.path.lastIndexOf('/');
    const parentPath = slash < 0 ? '' : entry.path.slice(0, slash);
    const name = slash < 0 ? entry.path : entry.path.slice(slash + 1);
    if (entry.kind === 'whiteout') {
      const parent = this.lookup(parentPath);
      const existing = parent?.children?.get(name);
      if (parent === undefined || existing === undefined) return false;
      parent.children?.delete(name);
      this.hideAll(existing, entry.path, 'removed', layer);
      return true;
    }
    const parent = this.ensureDir(parentPath, layer);
    const existing = parent.children?.get(name);
    if (entry.kind === 'dir') {
      if (existing !== undefined && typeof existing !== 'number' && existing.kind === 'dir') return false;
      parent.children?.set(name, newDir(layer));
      if (existing !== undefined) this.hideAll(existing, entry.path, 'overwritten', layer);
      return existing !== undefined;
    }
    const packed = entry.kind !== 'hardlink' && entry.sha256 === '' ? pack(entry.kind, layer, entry.size) : undefined;
    const node: Slot = packed ?? { kind: entry.kind, layer, size: entry.size, sha256: entry.sha256, children: undefined };
    if (typeof node !== 'number' && entry.kind === 'hardlink' && entry.link !== undefined) {
      node.link = entry.link;
      const list = this.links.get(entry.link);
      if (list === undefined) this.links.set(entry.link, [entry.path]);
      else list.push(entry.path);
    }
    parent.children?.set(name, node);
    if (existing !== undefined) this.hideAll(existing, entry.path, 'overwritten', layer);
    return existing !== undefined;
  }

  /** The node at `path` ('' is the root), if visible. */
  lookup(path: string): TreeNode | undefined {
    let slot: Slot | undefined = this.root;
    if (path === '') return this.root;
    for (const part of path.split('/')) {
      slot = childrenOf(slot)?.get(part);
      if (slot === undefined) return undefined;
    }
    return nodeOf(slot);
  }

  /** Calls `visit` for every visible node below the root (no paths made: cheaper than `walk`). */
  forEachNode(visit: (node: TreeNode) => void): void {
    const stack: TreeNode[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      for (const slot of node.children?.values() ?? []) {
        const child = nodeOf(slot);
        visit(child);
        if (child.children !== undefined) stack.push(child);
      }
    }
  }

  /** Calls `visit` for every visible node below the root, parents before children. */
  walk(visit: (path: string, node: TreeNode) => void): void {
    const stack: [string, TreeNode][] = [['', this.root]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [path, node] = item;
      for (const [name, slot] of node.children ?? []) {
        const child = nodeOf(slot);
        const p = join(path, name);
        visit(p, child);
        if (child.children !== undefined) stack.push([p, child]);
      }
    }
  }

  /** The directory at `path`, made (as layer `layer`'s) where missing; a non-directory in the way is replaced. */
  private ensureDir(path: string, layer: number): TreeNode {
    let node = this.root;
    if (path === '') return node;
    const parts = path.split('/');
    for (const [i, part] of parts.entries()) {
      const children = node.children as Map<string, Slot>;
      let next = children.get(part);
      if (next === undefined || typeof next === 'number' || next.kind !== 'dir') {
        const replaced = next;
        next = newDir(layer);
        children.set(part, next);
        if (replaced !== undefined) this.hideAll(replaced, parts.slice(0, i + 1).join('/'), 'overwritten', layer);
      }
      node = next;
    }
    return node;
  }

  /** Reports every non-directory in the subtree at `node` as hidden. */
  private hideAll(slot: Slot, path: string, reason: HiddenReason, byLayer: number): void {
    const node = nodeOf(slot);
    if (node.kind !== 'dir') {
      this.hide(node, path, reason, byLayer);
      return;
    }
    for (const [name, child] of node.children ?? []) this.hideAll(child, join(path, name), reason, byLayer);
  }

  /** Reports a node that left the tree, unless its body lives on in a visible hardlink. */
  private hide(node: TreeNode, path: string, reason: HiddenReason, byLayer: number): void {
    if (node.size > 0 && this.bodyLivesOn(node, path)) return;
    this.onHidden({ path, layer: node.layer, size: node.size, reason, byLayer });
  }

  /** Hands the body of `node` (gone from `path`) to a visible hardlink of its layer, if one is left. */
  private bodyLivesOn(node: TreeNode, path: string): boolean {
    // A link that got the body hands it on to the target's other links.
    const target = node.kind === 'hardlink' && node.link !== undefined ? node.link : path;
    for (const linkPath of this.links.get(target) ?? []) {
      const link = this.lookup(linkPath);
      if (link === undefined || link === node || link.kind !== 'hardlink' || link.link !== target || link.layer !== node.layer || link.size !== 0) continue;
      link.size = node.size;
      link.sha256 = node.sha256;
      return true;
    }
    return false;
  }

  /**
   * Under an opaque directory of layer `layer`: hides what lower layers made, keeps what
   * this layer made already. Returns true when nothing of the directory `node` stays.
   */
  private hideLower(node: TreeNode, path: string, layer: number): boolean {
    for (const [name, slot] of node.children ?? []) {
      const child = nodeOf(slot);
      const childPath = join(path, name);
      if (child.kind === 'dir') {
        if (this.hideLower(child, childPath, layer)) node.children?.delete(name);
      } else if (child.layer < layer) {
        node.children?.delete(name);
        this.hide(child, childPath, 'opaque', layer);
      }
    }
    return node.layer < layer && node.children?.size === 0;
  }
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
