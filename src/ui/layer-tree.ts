/**
 * A layer's file tree for the explorer, read from the layer's tar (its blob, or regenerated
 * from its snapshot) in one pass that skips the file bodies. Each path is marked against the
 * tree the layers below it make: `A` new, `C` there already, `D` deleted (a whiteout, or a
 * lower entry an opaque directory hides). The app asks one directory at a time, so a
 * 20,000-file layer costs the browser only what it opens. Layers never change, so each
 * index is kept (a few, most recently used) for the server's life.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { readTarEntries, type TarEntryType } from '../internal/tar/index.ts';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../oci/index.ts';
import type { FileMark, TreeNode } from './api-types.ts';

/** One tar entry, as far as the tree needs it. */
export interface LayerEntry {
  path: string;
  type: TarEntryType;
  size: number;
  linkname: string;
}

/** The paths a stack of layers leaves visible: directory → the names in it. */
export type VisibleTree = Map<string, Set<string>>;

export interface LayerIndex {
  nodes: Map<string, TreeNode>;
  children: Map<string, string[]>;
  fileCount: number;
  totalSize: number;
}

/** `./usr/bin/` → `/usr/bin`; `.` → `/`. */
export function normalizePath(name: string): string {
  const clean = posix.normalize(`/${name}`).replace(/\/+$/, '');
  return clean === '' ? '/' : clean;
}

export async function readLayerEntries(tar: Readable): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for await (const { header } of readTarEntries(tar)) {
    out.push({ path: normalizePath(header.name), type: header.type, size: header.type === 'file' ? header.size : 0, linkname: header.linkname });
  }
  return out;
}

function has(tree: VisibleTree, path: string): boolean {
  if (path === '/') return true;
  return tree.get(posix.dirname(path))?.has(posix.basename(path)) ?? false;
}

function removeSubtree(tree: VisibleTree, path: string): void {
  for (const child of tree.get(path) ?? []) removeSubtree(tree, posix.join(path, child));
  tree.delete(path);
}

function addPath(tree: VisibleTree, path: string): void {
  for (let current = path; current !== '/'; current = posix.dirname(current)) {
    const parent = posix.dirname(current);
    let names = tree.get(parent);
    if (!names) tree.set(parent, (names = new Set()));
    if (names.has(posix.basename(current))) return;
    names.add(posix.basename(current));
  }
}

/** Applies one layer's entries to the tree of the layers below it (whiteouts and opaque dirs included). */
export function applyLayer(tree: VisibleTree, entries: readonly LayerEntry[]): void {
  for (const entry of entries) {
    const dir = posix.dirname(entry.path);
    const base = posix.basename(entry.path);
    if (base === OPAQUE_WHITEOUT) {
      for (const child of tree.get(dir) ?? []) removeSubtree(tree, posix.join(dir, child));
      tree.get(dir)?.clear();
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      const target = posix.join(dir, base.slice(WHITEOUT_PREFIX.length));
      removeSubtree(tree, target);
      tree.get(dir)?.delete(posix.basename(target));
    } else {
      addPath(tree, entry.path);
    }
  }
}

function nodeType(type: TarEntryType): TreeNode['type'] {
  return type === 'file' || type === 'directory' || type === 'symlink' || type === 'hardlink' ? type : 'other';
}

/** The explorer's index of one layer, marked against `below` (the visible tree under it). */
export function indexLayer(entries: readonly LayerEntry[], below: VisibleTree): LayerIndex {
  const nodes = new Map<string, TreeNode>();
  const put = (path: string, init: Omit<TreeNode, 'name' | 'path' | 'children' | 'hidden'>): void => {
    for (let dir = posix.dirname(path); dir !== '/' && !nodes.has(dir); dir = posix.dirname(dir)) {
      nodes.set(dir, { name: posix.basename(dir), path: dir, type: 'directory', size: 0, mark: has(below, dir) ? 'C' : 'A', hidden: false, children: 0, linkname: '' });
    }
    nodes.set(path, { name: posix.basename(path), path, children: 0, hidden: false, ...init });
  };
  let fileCount = 0;
  let totalSize = 0;
  const opaque: string[] = [];
  for (const entry of entries) {
    if (entry.path === '/') continue;
    const dir = posix.dirname(entry.path);
    const base = posix.basename(entry.path);
    if (base === OPAQUE_WHITEOUT) {
      opaque.push(dir);
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      const target = posix.join(dir, base.slice(WHITEOUT_PREFIX.length));
      put(target, { type: below.has(target) ? 'directory' : 'file', size: 0, mark: 'D', linkname: '' });
    } else {
      const mark: FileMark = has(below, entry.path) ? 'C' : 'A';
      put(entry.path, { type: nodeType(entry.type), size: entry.size, mark, linkname: entry.linkname });
      if (entry.type !== 'directory') fileCount++;
      totalSize += entry.size;
    }
  }
  // What an opaque directory hides: the lower entries it does not bring back itself.
  for (const dir of opaque) {
    for (const name of below.get(dir) ?? []) {
      const path = posix.join(dir, name);
      if (!nodes.has(path)) put(path, { type: below.has(path) ? 'directory' : 'file', size: 0, mark: 'D', linkname: '' });
    }
  }
  const children = new Map<string, string[]>();
  for (const node of nodes.values()) {
    const parent = posix.dirname(node.path);
    let list = children.get(parent);
    if (!list) children.set(parent, (list = []));
    list.push(node.path);
    // A directory's size is what this layer stores under it.
    if (node.type !== 'directory' && node.size > 0) {
      for (let dir = parent; dir !== '/'; dir = posix.dirname(dir)) {
        const d = nodes.get(dir);
        if (d) d.size += node.size;
      }
    }
  }
  for (const [dir, list] of children) {
    const node = nodes.get(dir);
    if (node) node.children = list.length;
    list.sort((a, b) => {
      const na = nodes.get(a) as TreeNode;
      const nb = nodes.get(b) as TreeNode;
      return Number(nb.type === 'directory') - Number(na.type === 'directory') || (na.name < nb.name ? -1 : na.name > nb.name ? 1 : 0);
    });
  }
  return { nodes, children, fileCount, totalSize };
}

/** The entries directly under `dir` (`/` for the top). */
export function listDirectory(index: LayerIndex, dir: string): TreeNode[] {
  return (index.children.get(normalizePath(dir)) ?? []).map((path) => index.nodes.get(path) as TreeNode);
}

/** Paths containing `query` (case-insensitive), at most `limit`. */
export function searchIndex(index: LayerIndex, query: string, limit: number): { matches: TreeNode[]; truncated: boolean } {
  const needle = query.toLowerCase();
  const matches: TreeNode[] = [];
  for (const node of index.nodes.values()) {
    if (!node.path.toLowerCase().includes(needle)) continue;
    if (matches.length === limit) return { matches, truncated: true };
    matches.push(node);
  }
  return { matches, truncated: false };
}

/**
 * `nodes` with `hidden` set from `hidden` (the paths of this layer the final image cannot
 * see: insight's layerView decides, see layer-explorer.ts); copies, as the index is shared
 * by every image. A deletion is never hidden.
 */
export function withHidden(nodes: readonly TreeNode[], hidden: ReadonlySet<string> | undefined): TreeNode[] {
  return hidden === undefined ? [...nodes] : nodes.map((n) => ({ ...n, hidden: n.mark !== 'D' && hidden.has(n.path) }));
}
