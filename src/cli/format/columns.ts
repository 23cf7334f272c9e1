/**
 * docker/cli's default formats and column titles for the list commands, so every
 * command prints the same headers docker does. Pass one to `renderList`.
 */
import type { RenderListOptions } from './render.ts';

type Columns = Pick<RenderListOptions, 'defaultFormat' | 'headers' | 'typeName'>;

export const columns = {
  /** `docker images` (`--digests` adds `{{.Digest}}` after TAG). */
  images: {
    defaultFormat: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}',
    headers: {
      ID: 'IMAGE ID',
      Repository: 'REPOSITORY',
      Tag: 'TAG',
      Digest: 'DIGEST',
      CreatedSince: 'CREATED',
      CreatedAt: 'CREATED AT',
      Size: 'SIZE',
      Containers: 'CONTAINERS',
      VirtualSize: 'SIZE',
      SharedSize: 'SHARED SIZE',
      UniqueSize: 'UNIQUE SIZE',
    },
    typeName: '*formatter.imageContext',
  },
  /** `docker ps` (`--size` appends `\t{{.Size}}`). */
  containers: {
    defaultFormat: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}',
    headers: {
      ID: 'CONTAINER ID',
      Names: 'NAMES',
      Image: 'IMAGE',
      Command: 'COMMAND',
      CreatedAt: 'CREATED AT',
      RunningFor: 'CREATED',
      Ports: 'PORTS',
      State: 'STATE',
      Status: 'STATUS',
      Size: 'SIZE',
      Labels: 'LABELS',
      Mounts: 'MOUNTS',
      LocalVolumes: 'LOCAL VOLUMES',
      Networks: 'NETWORKS',
      Platform: 'PLATFORM',
    },
    typeName: '*formatter.ContainerContext',
  },
  /** `docker image history` (`--human=false` shows `{{.CreatedAt}}` instead of CREATED). */
  history: {
    defaultFormat: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
    headers: {
      ID: 'IMAGE',
      CreatedSince: 'CREATED',
      CreatedAt: 'CREATED AT',
      CreatedBy: 'CREATED BY',
      Size: 'SIZE',
      Comment: 'COMMENT',
    },
    typeName: '*image.historyContext',
  },
  /** `docker volume ls`. */
  volumes: {
    defaultFormat: 'table {{.Driver}}\t{{.Name}}',
    headers: {
      ID: 'ID',
      Name: 'VOLUME NAME',
      Group: 'GROUP',
      Driver: 'DRIVER',
      Scope: 'SCOPE',
      Availability: 'AVAILABILITY',
      Mountpoint: 'MOUNTPOINT',
      Labels: 'LABELS',
      Links: 'LINKS',
      Size: 'SIZE',
      Status: 'STATUS',
    },
    typeName: '*formatter.volumeContext',
  },
  /** `docker network ls`. */
  networks: {
    defaultFormat: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
    headers: {
      ID: 'NETWORK ID',
      Name: 'NAME',
      Driver: 'DRIVER',
      Scope: 'SCOPE',
      IPv6: 'IPV6',
      Internal: 'INTERNAL',
      Labels: 'LABELS',
      CreatedAt: 'CREATED AT',
    },
    typeName: '*formatter.networkContext',
  },
  /** `docker system df` summary table. */
  diskUsage: {
    defaultFormat: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
    headers: {
      Type: 'TYPE',
      TotalCount: 'TOTAL',
      Active: 'ACTIVE',
      Size: 'SIZE',
      Reclaimable: 'RECLAIMABLE',
    },
    typeName: '*formatter.diskUsageImagesContext',
  },
} as const satisfies Record<string, Columns>;
