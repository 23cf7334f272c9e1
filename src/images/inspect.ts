/**
 * `image inspect`: the object docker 28's daemon returns for GET /images/{name}/json, keys
 * in its order. The CLI renders it (JSON, or a --format template).
 */
import { formatRfc3339Nano, withGoMaps, type ContainerDefaults, type Digest, type ImageConfig } from '../oci/index.ts';
import type { ImageStore } from './image-store.ts';

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created?: string;
  DockerVersion: string;
  Author: string;
  Config: Record<string, unknown>;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime: string };
}

/**
 * docker's `DockerOCIImageConfig`: the OCI config fields then docker's extensions, each
 * left out when empty (Go's omitempty).
 */
export function dockerOciImageConfig(c: ContainerDefaults | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!c) return out;
  const nonEmpty = (v: unknown): boolean =>
    v !== undefined && v !== null && v !== '' && v !== false && !(Array.isArray(v) && v.length === 0) &&
    !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
  for (const key of ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'ArgsEscaped'] as const) {
    if (nonEmpty(c[key])) out[key] = c[key];
  }
  if (c.Healthcheck && nonEmpty(c.Healthcheck.Test ?? c.Healthcheck)) {
    const hc: Record<string, unknown> = {};
    for (const key of ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
      const v = c.Healthcheck[key];
      if (nonEmpty(v) && v !== 0) hc[key] = v;
    }
    out['Healthcheck'] = hc;
  }
  for (const key of ['OnBuild', 'Shell'] as const) if (nonEmpty(c[key])) out[key] = c[key];
  return withGoMaps(out, ['ExposedPorts', 'Volumes', 'Labels']);
}

/** The comment docker shows: the config's, else the last history entry's. */
export function imageComment(config: ImageConfig): string {
  if (config.comment) return config.comment;
  return config.history?.at(-1)?.comment ?? '';
}

export function inspectImage(store: ImageStore, id: Digest, graphDriver: ImageInspect['GraphDriver']): ImageInspect {
  const config = store.config(id);
  const row = store.get(id);
  return {
    Id: id,
    RepoTags: store.repoTags(id),
    RepoDigests: store.repoDigests(id),
    Parent: config.parent ?? '',
    Comment: imageComment(config),
    ...(config.created ? { Created: formatRfc3339Nano(config.created) } : {}),
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: dockerOciImageConfig(config.config),
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    ...(config['os.version'] ? { OsVersion: config['os.version'] } : {}),
    Size: row?.size ?? 0,
    GraphDriver: graphDriver,
    RootFS: config.rootfs.diff_ids.length > 0 ? { Type: config.rootfs.type, Layers: [...config.rootfs.diff_ids] } : { Type: config.rootfs.type },
    Metadata: { LastTagTime: store.lastTagTime(id) },
  };
}
