/**
 * A container's network namespace, made before the runtime starts it and kept as a bind
 * mount of the namespace on a file under the store (`<root>/netns/<id>`), as `ip netns`
 * keeps them under /run/netns. util-linux's `unshare --net=FILE` makes and binds it: Node
 * can't call unshare(2) for a whole process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { failedPrecondition } from '../errdefs/index.ts';
import { childProcess } from '../internal/index.ts';

export function netnsPath(root: string, containerId: string): string {
  return join(root, 'netns', containerId);
}

export function createNetns(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  const r = childProcess().spawnSync('unshare', [`--net=${path}`, 'true'], { encoding: 'utf8' });
  if (r.status !== 0) throw failedPrecondition(`create network namespace ${path}: ${(r.stderr || r.error?.message || '').trim()}`);
}
