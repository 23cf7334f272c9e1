/**
 * A layer's entries read straight from its overlay snapshot, where the snapshot holds only
 * that layer's files (the overlay driver): one lstat per path, no file body read, about a
 * hundred times faster than regenerating the layer's tar for a 160 MB layer. Overlay's
 * conventions become the tar's: a 0/0 character device is the whiteout `.wh.NAME`, a
 * directory marked opaque gets its `.wh..wh..opq`, a second link to an inode is a hardlink.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { lgetxattr } from '../internal/sys/index.ts';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../oci/index.ts';
import type { LayerEntry } from './layer-tree.ts';

function opaque(abs: string): boolean {
  try {
    return lgetxattr(abs, 'trusted.overlay.opaque')?.toString() === 'y';
  } catch {
    return false;
  }
}

export function listSnapshotLayer(fsDir: string): LayerEntry[] {
  const out: LayerEntry[] = [];
  const inodes = new Set<bigint>();
  const walk = (abs: string, path: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const childAbs = join(abs, name);
      const childPath = posix.join(path, name);
      const st = lstatSync(childAbs, { bigint: true });
      if (st.isCharacterDevice() && st.rdev === 0n) {
        out.push({ path: posix.join(path, `${WHITEOUT_PREFIX}${name}`), type: 'file', size: 0, linkname: '' });
      } else if (st.isDirectory()) {
        out.push({ path: childPath, type: 'directory', size: 0, linkname: '' });
        if (opaque(childAbs)) out.push({ path: posix.join(childPath, OPAQUE_WHITEOUT), type: 'file', size: 0, linkname: '' });
        walk(childAbs, childPath);
      } else if (st.isSymbolicLink()) {
        out.push({ path: childPath, type: 'symlink', size: 0, linkname: '' });
      } else if (st.isFile()) {
        const linked = st.nlink > 1n && inodes.has(st.ino);
        if (st.nlink > 1n) inodes.add(st.ino);
        out.push({ path: childPath, type: linked ? 'hardlink' : 'file', size: linked ? 0 : Number(st.size), linkname: '' });
      } else {
        out.push({ path: childPath, type: 'unknown', size: 0, linkname: '' });
      }
    }
  };
  walk(fsDir, '/');
  return out;
}
