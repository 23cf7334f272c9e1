/**
 * What killed container commands leave, for `system check`: a container's layers a `run`,
 * `start` or `cp` left mounted (the container doesn't run and that command is gone), and
 * container or volume directories a removal moved aside (containers/removing-dir.ts) before
 * it was killed, and the runtime's state (with the container's cgroups) of a container
 * whose record is gone. The repair unmounts the first (by looking at the container), deletes
 * the second, or puts one back where its record is still there, and has the runtime delete
 * the third.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rootfsDir, type Container } from '../containers/container.ts';
import { deleteAside, interruptedRemovals, putBack } from '../containers/removing-dir.ts';
import { ContainerRecords, VolumeRecords } from '../metadata/index.ts';
import { mountPoints } from '../mount/index.ts';
import { OciRuntime } from '../runtime/index.ts';
import { BUILD_CONTAINER_PREFIX } from '../builder/leftovers.ts';
import type { Engine } from './engine.ts';
import type { Leftover } from './leftover.ts';

/** A container or volume directory moved aside by a removal whose process is gone. */
interface AsideDir {
  home: 'containers' | 'volumes';
  entry: string;
  name: string;
  /** Its record is still there: the removal did not commit, so the directory goes back. */
  recorded: boolean;
}

function asideDirs(engine: Engine): AsideDir[] {
  const containers = new ContainerRecords(engine.db);
  const volumes = new VolumeRecords(engine.db);
  const recorded = { containers: (id: string) => containers.get(id) !== undefined, volumes: (name: string) => volumes.get(name) !== undefined };
  return (['containers', 'volumes'] as const).flatMap((home) => interruptedRemovals(join(engine.root, home)).map((r) => ({
    home, ...r, recorded: recorded[home](r.name) && !existsSync(join(engine.root, home, r.name)),
  })));
}

const asideLeftover = (a: AsideDir): Leftover => a.recorded
  ? { what: `directory ${a.home}/${a.entry}`, why: `its removal was interrupted before its record was deleted (it goes back to ${a.home}/${a.name})`, repair: 'put back' }
  : { what: `directory ${a.home}/${a.entry}`, why: 'its removal was interrupted' };

function mountLeftover(engine: Engine, c: Container): Leftover {
  return { what: `mount ${relative(engine.root, rootfsDir(c))}`, why: c.row.lockPid !== 0 ? `its process (${c.row.lockPid}) is gone` : 'its container does not run' };
}

/** Containers whose layers a killed command left mounted; the container code loads only when something is mounted under containers/. */
async function mountedLeftOver(engine: Engine): Promise<Container[]> {
  const mounted = new Set(mountPoints().filter((p) => p.startsWith(`${join(engine.root, 'containers')}/`)));
  if (mounted.size === 0) return [];
  const containers = await engine.containers();
  return containers.all().filter((c) => containers.mountLeftOver(c, mounted));
}

/** Containers whose network is still set up though they don't run (their supervisor was killed, or the host rebooted). */
async function networkLeftOver(engine: Engine): Promise<Container[]> {
  if (!existsSync(join(engine.root, 'netns')) && !existsSync(join(engine.root, 'netavark'))) return [];
  const containers = await engine.containers();
  return containers.all().filter((c) => containers.networkLeftOver(c));
}

function networkLeftover(c: Container): Leftover {
  return { what: `network of container ${c.id.slice(0, 12)}`, why: 'its container does not run (its supervisor was killed, or the host restarted)' };
}

/**
 * Stopped containers the runtime still keeps state (and cgroups) for though no record names
 * them: their removal finished while the supervisor's delete did not (it was killed). A build's
 * containers are the builder's to judge; a process that still runs is nobody's leftover.
 */
async function orphanRuntimeStates(engine: Engine): Promise<{ runtime?: OciRuntime; ids: string[] }> {
  const stateRoot = join(engine.root, 'runtime', 'runc');
  const records = new ContainerRecords(engine.db);
  let ids: string[];
  try {
    ids = readdirSync(stateRoot).filter((n) => !n.startsWith(BUILD_CONTAINER_PREFIX) && records.get(n) === undefined);
  } catch {
    ids = [];
  }
  if (ids.length === 0) return { ids };
  let runtime: OciRuntime;
  try {
    runtime = OciRuntime.locate({ root: stateRoot });
  } catch {
    // No runc here: nothing can run such a container, nor remove its state.
    return { ids: [] };
  }
  const stopped: string[] = [];
  for (const id of ids) if ((await runtime.state(id).catch(() => undefined))?.status === 'stopped') stopped.push(id);
  return { runtime, ids: stopped };
}

const runtimeStateLeftover = (id: string): Leftover => ({
  what: `runtime state of container ${id.slice(0, 12)}`, why: 'the container was removed, but not its runtime state and cgroups (its supervisor did not get to delete them)',
});

export async function findContainerLeftovers(engine: Engine): Promise<Leftover[]> {
  return [
    ...(await mountedLeftOver(engine)).map((c) => mountLeftover(engine, c)),
    ...(await networkLeftOver(engine)).map(networkLeftover),
    ...asideDirs(engine).map(asideLeftover),
    ...(await orphanRuntimeStates(engine)).ids.map(runtimeStateLeftover),
  ];
}

/** Removes (or puts back) what `findContainerLeftovers` lists; returns what it dealt with. */
export async function removeContainerLeftovers(engine: Engine): Promise<Leftover[]> {
  const done: Leftover[] = [];
  const unnetworked = await networkLeftOver(engine);
  const stale = await mountedLeftOver(engine);
  if (stale.length > 0) {
    const containers = await engine.containers();
    const leftovers = stale.map((c) => mountLeftover(engine, c));
    // Looking at a container that doesn't run unmounts its layers.
    for (const c of stale) await containers.status(c);
    const still = new Set(mountPoints());
    done.push(...leftovers.filter((_, i) => !still.has(rootfsDir(stale[i] as Container))));
  }
  if (unnetworked.length > 0) {
    const containers = await engine.containers();
    // Looking at a container that doesn't run tears its network down.
    for (const c of unnetworked) {
      await containers.status(c);
      if (!containers.networkLeftOver(c)) done.push(networkLeftover(c));
    }
  }
  for (const a of asideDirs(engine)) {
    if (a.recorded) putBack(join(engine.root, a.home), a);
    else deleteAside(join(engine.root, a.home, a.entry));
    done.push(asideLeftover(a));
  }
  const { runtime, ids } = await orphanRuntimeStates(engine);
  for (const id of ids) {
    await runtime?.delete(id, { force: true }).catch(() => undefined);
    if (!existsSync(join(engine.root, 'runtime', 'runc', id))) done.push(runtimeStateLeftover(id));
  }
  return done;
}
