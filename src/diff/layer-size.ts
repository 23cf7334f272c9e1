/**
 * The size docker reports for a layer (`docker history`, `docker image inspect`'s layer
 * sizes): moby's overlay2 driver computes it with pkg/directory.Size over the layer's diff
 * directory — the lstat size of every non-directory (regular file bytes, symlink target
 * lengths, 0 for whiteout devices), each inode counted once. strata computes the same from
 * the layer's entries while applying or writing it, so no second walk is needed.
 */
export class LayerSize {
  /** Path (relative, latin1) → its inode: size and how many tracked paths name it. */
  private readonly paths = new Map<string, { size: number; links: number }>();
  /** The sum over distinct inodes, kept as paths come and go. */
  private sum = 0;

  /** A new inode of `size` bytes at `path` (replacing whatever the path named). */
  add(path: string, size: number): void {
    const old = this.paths.get(path);
    if (old !== undefined) this.unlink(old);
    this.paths.set(path, { size, links: 1 });
    this.sum += size;
  }

  /** A hardlink at `path` to the inode at `target`; false when `target` is not tracked. */
  link(path: string, target: string): boolean {
    const inode = this.paths.get(target);
    if (inode === undefined) return false;
    this.remove(path);
    inode.links++;
    this.paths.set(path, inode);
    return true;
  }

  /** Forget `path` (a file replaced or deleted). */
  remove(path: string): void {
    const inode = this.paths.get(path);
    if (inode === undefined) return;
    this.paths.delete(path);
    this.unlink(inode);
  }

  /** Forget everything at and below the directory `dir`. */
  removeTree(dir: string): void {
    if (dir === '') {
      this.paths.clear();
      this.sum = 0;
      return;
    }
    this.remove(dir);
    const prefix = `${dir}/`;
    for (const path of [...this.paths.keys()]) if (path.startsWith(prefix)) this.remove(path);
  }

  get total(): number {
    return this.sum;
  }

  private unlink(inode: { size: number; links: number }): void {
    if (--inode.links === 0) this.sum -= inode.size;
  }
}
