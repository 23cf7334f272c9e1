/**
 * What a build killed with -9 leaves behind: its scratch directory under `<root>/tmp` (named
 * by the build's pid), the overlay mounts in it (the RUN step's root filesystem, views of
 * other trees), the network of a RUN step on the default bridge (its namespace under
 * `<root>/netns`, veth, rules and address lease, described by `network.json` in the step's
 * bundle, in the scratch directory), and, when the RUN container's supervisor was killed
 * too, the container's runtime state (runc's `--root` under `<root>/runtime/runc`, possibly
 * still running). A build is dead when the pid its scratch directory names is gone. `system
 * check` lists these and `--repair` removes them; the next build sweeps the scratch
 * directories, their networks and mounts.
 */
import { readdirSync, realpathSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { processAlive } from '../internal/index.ts';
import { mountPoints, unmountAll } from '../mount/index.ts';
import { detachUnrecorded, unrecordedNetwork } from '../network/index.ts';
import { OciRuntime } from '../runtime/index.ts';

/** Build containers are `build-<random>`; their bundles lie in the build's scratch directory. */
export const BUILD_CONTAINER_PREFIX = 'build-';

/** A new scratch directory's name: `build-<pid>-<time>`, so a dead build's can be told apart. */
export function scratchName(pid = process.pid): string {
  return `build-${pid}-${Date.now().toString(36)}`;
}

/** The build that owns a scratch directory (or a file under `tmp/` named like one). */
export function scratchOwner(name: string): number | undefined {
  const m = /^build-(\d+)-/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

export interface BuildLeftover {
  kind: 'container' | 'network' | 'mount' | 'scratch';
  /** The container's id (a network's: the step's), or the path under the store's root. */
  name: string;
  /** A network's: the step's bundle directory under the store's root, which describes it. */
  dir?: string;
  /** The dead build's process id. */
  pid: number;
  /** runc's status of a container (`running`, `stopped`…). */
  status?: string;
}

/** The store's root as the kernel names it in mountinfo (symlinks resolved). */
function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

/** Scratch directories of builds whose process is gone. */
function deadScratch(root: string): { name: string; pid: number }[] {
  let names: string[];
  try {
    names = readdirSync(join(root, 'tmp'));
  } catch {
    return [];
  }
  const dead: { name: string; pid: number }[] = [];
  for (const name of names) {
    const pid = scratchOwner(name);
    if (pid !== undefined && !processAlive(pid)) dead.push({ name, pid });
  }
  return dead;
}

/** Mount points under a scratch directory, deepest first (a mount on top of another comes off first). */
function mountsIn(mounted: readonly string[], dir: string): string[] {
  return mounted.filter((p) => p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

/** The networks of RUN steps set up from bundles in a scratch directory (`dir` under the store's root). */
function networksIn(root: string, dir: string, pid: number): BuildLeftover[] {
  let names: string[];
  try {
    names = readdirSync(join(root, dir));
  } catch {
    return [];
  }
  const found: BuildLeftover[] = [];
  for (const name of names.filter((n) => n.startsWith('bundle-')).sort()) {
    const id = unrecordedNetwork(join(root, dir, name));
    if (id !== undefined) found.push({ kind: 'network', name: id, dir: join(dir, name), pid });
  }
  return found;
}

/** Runtime state of build containers whose build is gone (runc is asked only when such state exists). */
async function deadContainers(root: string): Promise<BuildLeftover[]> {
  const stateRoot = join(root, 'runtime', 'runc');
  let ids: string[];
  try {
    ids = readdirSync(stateRoot).filter((n) => n.startsWith(BUILD_CONTAINER_PREFIX));
  } catch {
    return [];
  }
  if (ids.length === 0) return [];
  let runtime: OciRuntime;
  try {
    runtime = OciRuntime.locate({ root: stateRoot });
  } catch {
    // No runc here: nothing can run such a container, nor remove its state.
    return [];
  }
  const found: BuildLeftover[] = [];
  for (const id of ids) {
    const state = await runtime.state(id).catch(() => undefined);
    // Unknown to runc, or state it cannot read: nothing tells whose it is.
    if (state === undefined) continue;
    // The bundle is in `<root>/tmp/build-<pid>-…/`: that pid is the build's.
    const parts = relative(realRoot(root), realRoot(state.bundle)).split(sep);
    const pid = parts[0] === 'tmp' && parts[1] !== undefined ? scratchOwner(parts[1]) : undefined;
    if (pid === undefined || processAlive(pid)) continue;
    found.push({ kind: 'container', name: id, pid, status: state.status });
  }
  return found;
}

/**
 * Everything dead builds left: containers first, then their networks, then mounts, then
 * directories (the order of removal).
 */
export async function findBuildLeftovers(root: string): Promise<BuildLeftover[]> {
  const real = realRoot(root);
  const dead = deadScratch(root);
  const mounted = dead.length === 0 ? [] : mountPoints();
  const leftovers = await deadContainers(root);
  for (const { name, pid } of dead) leftovers.push(...networksIn(root, join('tmp', name), pid));
  for (const { name, pid } of dead) {
    for (const point of mountsIn(mounted, join(real, 'tmp', name))) leftovers.push({ kind: 'mount', name: relative(real, point), pid });
  }
  for (const { name, pid } of dead) leftovers.push({ kind: 'scratch', name: join('tmp', name), pid });
  return leftovers;
}

/**
 * Removes what `findBuildLeftovers` found: kills and deletes the containers, tears their
 * networks down, unmounts, and removes each scratch directory that has no mount left in it
 * (nor a network it describes: its bundle is what lets a later repair tear it down).
 * @returns the ones removed
 */
export async function removeBuildLeftovers(root: string, leftovers: readonly BuildLeftover[]): Promise<BuildLeftover[]> {
  const removed: BuildLeftover[] = [];
  const containers = leftovers.filter((l) => l.kind === 'container');
  if (containers.length > 0) {
    const runtime = OciRuntime.locate({ root: join(root, 'runtime', 'runc') });
    for (const c of containers) {
      await runtime.delete(c.name, { force: true });
      removed.push(c);
    }
  }
  const networksLeft: string[] = [];
  for (const n of leftovers.filter((l) => l.kind === 'network')) {
    try {
      detachUnrecorded(root, join(root, n.dir!));
      removed.push(n);
    } catch {
      networksLeft.push(n.dir!);
    }
  }
  const real = realRoot(root);
  for (const m of leftovers.filter((l) => l.kind === 'mount')) {
    try {
      unmountAll(join(real, m.name));
      removed.push(m);
    } catch {
      // Still busy: it stays a leftover, and so does its directory.
    }
  }
  const mounted = mountPoints();
  for (const d of leftovers.filter((l) => l.kind === 'scratch')) {
    if (mountsIn(mounted, join(real, d.name)).length > 0 || networksLeft.some((n) => n.startsWith(`${d.name}/`))) continue;
    rmSync(join(root, d.name), { recursive: true, force: true });
    removed.push(d);
  }
  return removed;
}

/**
 * The next build's sweep: the scratch directories, networks and mounts of dead builds (their
 * snapshots, named by the dead pid, go with the next garbage collection).
 */
export function sweepDeadScratch(root: string): void {
  const dead = deadScratch(root);
  if (dead.length === 0) return;
  const real = realRoot(root);
  const mounted = mountPoints();
  for (const { name, pid } of dead) {
    const dir = join(real, 'tmp', name);
    try {
      for (const n of networksIn(root, join('tmp', name), pid)) detachUnrecorded(root, join(root, n.dir!));
    } catch {
      // Its namespace stays mounted: keep the bundle that describes it for a later build or repair.
      continue;
    }
    for (const point of mountsIn(mounted, dir)) {
      try {
        unmountAll(point);
      } catch {
        // Still busy: leave this directory for a later build.
      }
    }
    if (mountsIn(mountPoints(), dir).length > 0) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}
