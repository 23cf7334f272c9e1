/**
 * A new container's mounts, as docker's create resolves them: what `-v`, `--mount` and
 * `--tmpfs` asked for, then an anonymous volume for each of the image's VOLUMEs that no
 * request covers. Pure: the caller checks the bind sources and makes the volumes the plan
 * asks for (create.ts), so the rules can be tested without a store.
 */
import type { MountRequest } from '../runtime/index.ts';
import type { MountPoint } from './container-config.ts';
import type { NewVolume } from './volumes.ts';

export interface MountPlanInput {
  /** `-v`, `--mount`, `--tmpfs`, parsed, in order (duplicate targets already refused). */
  requested: MountRequest[];
  /** The image config's `Volumes`. */
  imageVolumes?: Record<string, unknown> | null | undefined;
  /** Which of the named volumes the requests use exist already (they are used as they are). */
  existingVolumes: ReadonlySet<string>;
}

export interface MountPlan {
  /**
   * The container's mounts, in order: the requests', then the image's volumes. A volume's
   * `Source` is '' and an anonymous volume's `Name` is '' until the volume is made.
   */
  mounts: MountPoint[];
  /** The volumes to make, by the destination that mounts each: anonymous ones, and named ones that don't exist. */
  newVolumes: Map<string, NewVolume>;
  /** Volume destinations to fill from the image's content at the first start (all but `nocopy` ones). */
  copyPending: string[];
}

/** The requests, then an anonymous volume for each image VOLUME (trailing '/' dropped) no request mounts at. */
function withImageVolumes(requested: MountRequest[], imageVolumes: MountPlanInput['imageVolumes']): MountRequest[] {
  const targets = new Set(requested.map((m) => m.target));
  const wanted: MountRequest[] = [...requested];
  for (const dest of Object.keys(imageVolumes ?? {})) {
    const clean = dest.replace(/\/+$/, '') || '/';
    if (targets.has(clean)) continue;
    wanted.push({ type: 'volume', target: clean, readOnly: false, noCopy: false, mode: '' });
    targets.add(clean);
  }
  return wanted;
}

/** Plans a new container's mounts (see the module comment). */
export function planMounts(input: MountPlanInput): MountPlan {
  const mounts: MountPoint[] = [];
  const newVolumes = new Map<string, NewVolume>();
  const copyPending: string[] = [];
  for (const m of withImageVolumes(input.requested, input.imageVolumes)) {
    if (m.type === 'bind') {
      mounts.push({
        Type: 'bind', Source: m.source, Destination: m.target, Mode: m.mode, RW: !m.readOnly, Propagation: m.propagation,
        ...(m.nonRecursive ? { nonRecursive: true } : {}),
        ...(m.readOnlyNonRecursive ? { readOnlyNonRecursive: true } : {}),
        ...(m.readOnlyForceRecursive ? { readOnlyForceRecursive: true } : {}),
      });
    } else if (m.type === 'tmpfs') {
      mounts.push({ Type: 'tmpfs', Source: '', Destination: m.target, Mode: '', RW: !m.readOnly, Propagation: '', tmpfsData: m.data });
    } else {
      if (m.name === undefined || !input.existingVolumes.has(m.name)) {
        newVolumes.set(m.target, {
          ...(m.name !== undefined ? { name: m.name } : {}), ...(m.driver ? { driver: m.driver } : {}),
          ...(m.labels ? { labels: m.labels } : {}), ...(m.driverOptions ? { options: m.driverOptions } : {}),
        });
      }
      if (!m.noCopy) copyPending.push(m.target);
      mounts.push({
        Type: 'volume', Name: m.name ?? '', Source: '', Destination: m.target, Driver: 'local',
        Mode: m.mode, RW: !m.readOnly, Propagation: '', ...(m.noCopy ? { noCopy: true } : {}), ...(m.subpath ? { subpath: m.subpath } : {}),
      });
    }
  }
  return { mounts, newVolumes, copyPending };
}
