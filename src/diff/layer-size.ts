/**
 * The size docker reports for a layer (`docker history`, `docker image inspect`'s layer
 * sizes): moby's overlay2 driver computes it with pkg/directory.Size over the layer's diff
 * directory — the lstat size of every non-directory (regular file bytes, symlink target
 * lengths, 0 for whiteout devices), each inode counted once. strata computes the same from
 * the layer's entries while applying or writing it, so no second walk is needed.
 */
export class LayerSize {
  /** Path (relative, latin1) → inode id. */
  private readonly paths = new Map<string, number>();
  /** Inode id → size and how many paths name it. */
  private readonly inodes = new Map<number, { size: number; links: number }>();
  private nextId = 0;

  /** A new inode of `size` bytes at `path` (replacing whatever the path named). */
  add(path: string, size: number): void {
    this.remove(path);
    const id = this.nextId++;
    this.inodes.set(id, { size, links: 1 });
    this.paths.set(path, id);
  }

  /** A hardlink at `path` to the inode at `target`; false when `target` is not tracked. */
  link(path: string, target: string): boolean {
    const id = this.paths.get(target);
    if (id === undefined) return false;
    this.remove(path);
    this.inodes.get(id)!.links++;
    this.paths.set(path, id);
    return true;
  }

  /** Forget `path` (a file replaced or deleted). */
  remove(path: string): void {
    const id = this.paths.get(path);
    if (id === undefined) return;
    this.paths.delete(path);
    const inode = this.inodes.get(id)!;
    if (--inode.links === 0) this.inodes.delete(id);
  }

  /** Forget everything at and below the directory `dir`. */
  removeTree(dir: string): void {
    if (dir === '') {
      this.paths.clear();
      this.inodes.clear();
      return;
    }
    this.remove(dir);
    const prefix = `${dir}/`;
    for (const path of [...this.paths.keys()]) if (path.startsWith(prefix)) this.remove(path);
  }

  get total(): number {
    let sum = 0;
    for (const inode of this.inodes.values()) sum += inode.size;
    return sum;
  }
}
