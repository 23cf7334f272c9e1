/**
 * What the runtime mounts when a container starts: its binds and tmpfs as recorded, and
 * its volumes made ready (a `-o type=…` filesystem mounted) and, the first time, filled
 * from the image's content at their destination, as docker fills a new, empty volume.
 */
import { chmodSync, chownSync, existsSync, lstatSync } from 'node:fs';
import { internal, invalidArgument } from '../errdefs/index.ts';
import { childProcess } from '../internal/index.ts';
import { resolveInRootfs, type RuntimeMount } from '../runtime/index.ts';
import type { Container } from './container.ts';
import type { VolumeStore } from './volumes.ts';

/**
 * Fills a new volume from the image's content at its mount point, as docker does: the
 * directory's files (owners, modes, links kept) and its own owner and mode.
 */
function copyImageContent(rootfs: string, destination: string, data: string): void {
  const source = resolveInRootfs(rootfs, destination);
  let st;
  try {
    st = lstatSync(source);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  const r = childProcess().spawnSync('cp', ['-a', '--', `${source}/.`, `${data}/`], { encoding: 'utf8' });
  if (r.status !== 0) throw internal(`fill volume at ${destination} from the image: ${(r.stderr || r.error?.message || '').trim()}`);
  chownSync(data, st.uid, st.gid);
  chmodSync(data, st.mode & 0o7777);
}

/**
 * The runtime's view of the container's mounts, with its layers mounted at `rootfs`.
 * @returns the mounts, and the destinations of `copyPending` this start dealt with (the
 *   caller records that they are done).
 * @throws invalid-argument for a volume subpath that doesn't exist.
 */
export function runtimeMounts(c: Container, rootfs: string, volumes: VolumeStore): { mounts: RuntimeMount[]; filled: string[] } {
  const out: RuntimeMount[] = [];
  const filled: string[] = [];
  for (const m of c.stored.mounts) {
    if (m.Type === 'bind') {
      out.push({
        type: 'bind', source: m.Source, destination: m.Destination, readOnly: !m.RW, propagation: (m.Propagation || 'rprivate') as 'rprivate',
        ...(m.nonRecursive ? { nonRecursive: true } : {}),
        ...(m.readOnlyNonRecursive ? { readOnlyNonRecursive: true } : {}),
        ...(m.readOnlyForceRecursive ? { readOnlyForceRecursive: true } : {}),
      });
    } else if (m.Type === 'tmpfs') {
      out.push({ type: 'tmpfs', destination: m.Destination, data: m.tmpfsData ?? '' });
    } else {
      const name = m.Name as string;
      const data = volumes.activate(name);
      if (c.stored.copyPending.includes(m.Destination)) {
        if (volumes.isEmpty(name)) copyImageContent(rootfs, m.Destination, data);
        filled.push(m.Destination);
      }
      let source = data;
      if (m.subpath) {
        source = resolveInRootfs(data, m.subpath);
        if (!existsSync(source)) throw invalidArgument(`cannot access path ${source}: no such file or directory (volume subpath ${m.subpath})`);
      }
      out.push({ type: 'bind', source, destination: m.Destination, readOnly: !m.RW, propagation: 'rprivate' });
    }
  }
  return { mounts: out, filled };
}
