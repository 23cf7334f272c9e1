/** Something an interrupted command left behind, which `system check --repair` removes. */
export interface Leftover {
  /** What it is: `blob sha256:…`, `mount tmp/build-…/rootfs-…`… */
  what: string;
  /** Why it is a leftover. */
  why: string;
  /** Bytes, where that says something. */
  size?: number;
  /** What `--repair` does with it, when not `removed`. */
  repair?: 'put back';
}
