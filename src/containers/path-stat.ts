/**
 * docker's PathStat of a path in a container (the Engine API's X-Docker-Container-Path-Stat
 * header, which `docker cp` reads to decide where a copy lands): name, size, Go's FileMode
 * bits, mtime and a symlink's target.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { notFound } from '../errdefs/index.ts';
import type { Container } from './container.ts';
import { resolveContainerPath } from './copy.ts';
import type { ContainerFiles } from './rootfs.ts';

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode of a stat: permission bits plus its type and special bits up high. */
export function goFileMode(st: Stats): number {
  // Sums, not `|`: JavaScript's bitwise operators would make bit 31 (a directory) negative.
  const bits: Array<[boolean, number]> = [
    [st.isDirectory(), 2 ** 31],
    [st.isSymbolicLink(), 2 ** 27],
    [st.isBlockDevice() || st.isCharacterDevice(), 2 ** 26],
    [st.isFIFO(), 2 ** 25],
    [st.isSocket(), 2 ** 24],
    [(st.mode & 0o4000) !== 0, 2 ** 23],
    [(st.mode & 0o2000) !== 0, 2 ** 22],
    [st.isCharacterDevice(), 2 ** 21],
    [(st.mode & 0o1000) !== 0, 2 ** 20],
  ];
  return bits.reduce((mode, [set, bit]) => (set ? mode + bit : mode), st.mode & 0o777);
}

/**
 * The PathStat of `path` in the container, as the container sees it (through its mounts).
 * @throws not-found `Could not find the file … in container …`, docker's words.
 */
export async function statContainerPath(files: ContainerFiles, c: Container, path: string): Promise<PathStat> {
  return files.withRootfs(c, async (rootfs) => {
    const resolved = resolveContainerPath(c, rootfs, path);
    let st: Stats;
    try {
      st = lstatSync(resolved.host);
    } catch {
      throw notFound(`Could not find the file ${resolved.path} in container ${c.name}`);
    }
    return {
      name: resolved.path === '/' ? '/' : posix.basename(resolved.path),
      size: st.size,
      mode: goFileMode(st),
      mtime: st.mtime.toISOString(),
      linkTarget: st.isSymbolicLink() ? readlinkSync(resolved.host) : '',
    };
  });
}
