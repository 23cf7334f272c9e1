/**
 * The union of a stack of layer scans, built the way overlayfs shows it: later entries
 * replace earlier ones, whiteouts remove a path and all below it, an opaque directory hides
 * what lower layers hold under it. Every body that stops being visible is reported to the
 * caller, with who hid it: that is the waste the analysis counts.
 */
import type { EntryKind, LayerEntry } from './layer-scan.ts';

export interface TreeNode {
  kind: EntryKind;
  /** Index of the layer whose entry made this node. */
  layer: number;
  size: number;
  sha256: string;
  children: Map<string, TreeNode> | undefined;
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

function newDir(layer: number): TreeNode {
  return { kind: 'dir', layer, size: 0, sha256: '', children: new Map() };
}

export class FileTree {
  readonly root: TreeNode = newDir(-1);

  /** @param onHidden called for every regular file (and other non-directory) that stops being visible */
  constructor(private readonly onHidden: (file: HiddenFile) => void) {}

  /** Applies one entry of layer `layer`; true when it replaced or removed a path that was visible. */
  apply(entry: LayerEntry, layer: number): boolean {
    if (entry.kind === 'opaque') {
      const dir = this.ensureDir(entry.path, layer);
      for (const [name, child] of dir.children ?? []) {
        if (this.hideLower(child, join(entry.path, name), layer)) dir.children?.delete(name);
      }
      return false;
    }
    const slash = entry.path.lastIndexOf('/');
    const parentPath = slash < 0 ? '' : entry.path.slice(0, slash);
    const name = slash < 0 ? entry.path : entry.path.slice(slash + 1);
    if (entry.kind === 'whiteout') {
      const parent = this.lookup(parentPath);
      const existing = parent?.children?.get(name);
      if (parent === undefined || existing === undefined) return false;
      this.hideAll(existing, entry.path, 'removed', layer);
      parent.children?.delete(name);
      return true;
    }
    const parent = this.ensureDir(parentPath, layer);
    const existing = parent.children?.get(name);
    if (entry.kind === 'dir') {
      if (existing?.kind === 'dir') return false;
      if (existing !== undefined) this.hideAll(existing, entry.path, 'overwritten', layer);
      parent.children?.set(name, newDir(layer));
      return existing !== undefined;
    }
    if (existing !== undefined) this.hideAll(existing, entry.path, 'overwritten', layer);
    parent.children?.set(name, { kind: entry.kind, layer, size: entry.size, sha256: entry.sha256, children: undefined });
    return existing !== undefined;
  }

  /** The node at `path` ('' is the root), if visible. */
  lookup(path: string): TreeNode | undefined {
    let node: TreeNode | undefined = this.root;
    if (path === '') return node;
    for (const part of path.split('/')) {
      node = node?.children?.get(part);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** Calls `visit` for every visible node below the root (no paths made: cheaper than `walk`). */
  forEachNode(visit: (node: TreeNode) => void): void {
    const stack: TreeNode[] = [this.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      for (const child of node.children?.values() ?? []) {
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
      for (const [name, child] of node.children ?? []) {
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
      const children = node.children as Map<string, TreeNode>;
      let next = children.get(part);
      if (next === undefined || next.kind !== 'dir') {
        if (next !== undefined) this.hideAll(next, parts.slice(0, i + 1).join('/'), 'overwritten', layer);
        next = newDir(layer);
        children.set(part, next);
      }
      node = next;
    }
    return node;
  }

  /** Reports every non-directory in the subtree at `node` as hidden. */
  private hideAll(node: TreeNode, path: string, reason: HiddenReason, byLayer: number): void {
    if (node.kind !== 'dir') {
      this.onHidden({ path, layer: node.layer, size: node.size, reason, byLayer });
      return;
    }
    for (const [name, child] of node.children ?? []) this.hideAll(child, join(path, name), reason, byLayer);
  }

  /**
   * Under an opaque directory of layer `layer`: hides what lower layers made, keeps what
   * this layer made already. Returns true when nothing of `node` stays.
   */
  private hideLower(node: TreeNode, path: string, layer: number): boolean {
    if (node.kind !== 'dir') {
      if (node.layer >= layer) return false;
      this.onHidden({ path, layer: node.layer, size: node.size, reason: 'opaque', byLayer: layer });
      return true;
    }
    for (const [name, child] of node.children ?? []) {
      if (this.hideLower(child, join(path, name), layer)) node.children?.delete(name);
    }
    return node.layer < layer && node.children?.size === 0;
  }
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
