/** `system df`, `version` and `info`. */
import { goStruct, quoteString } from '@strata/go-template';
import { renderInspect, renderList, type ListRow } from '../format/render.ts';
import { bytesSize, humanSize, humanSize4, humanSizeWithPrecision } from '../format/size.ts';
import { timeAgo } from '../format/duration.ts';
import { ellipsis, truncateId } from '../format/display.ts';
import { familiarName, parseReference } from '../../oci/index.ts';
import type { DiskUsage } from '../../engine/index.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';
import { IMAGE_HEADERS, imageRow } from './image-views.ts';

const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const DF_IMAGES_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const DF_CONTAINERS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const DF_VOLUMES_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const DF_CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

function percent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize4(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize4(reclaimable);
}

/** The four summary rows of `system df`, as docker/cli's diskUsage*Context types compute them. */
function summaryRows(du: DiskUsage): ListRow[] {
  const activeState = (s: string): boolean => s === 'running' || s === 'paused' || s === 'restarting';
  const builderSize = du.buildCache.filter((b) => !b.shared).reduce((a, b) => a + b.size, 0);
  return [
    {
      Type: () => 'Images',
      TotalCount: () => String(du.images.length),
      Active: () => String(du.images.filter((i) => i.Containers > 0).length),
      Size: () => humanSize4(du.layersSize),
      Reclaimable: () => {
        const used = du.images.filter((i) => i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1).reduce((a, i) => a + i.Size - i.SharedSize, 0);
        return percent(du.layersSize - used, du.layersSize);
      },
    },
    {
      Type: () => 'Containers',
      TotalCount: () => String(du.containers.length),
      Active: () => String(du.containers.filter((c) => activeState(c.state)).length),
      Size: () => humanSize4(du.containers.reduce((a, c) => a + c.sizeRw, 0)),
      Reclaimable: () => percent(du.containers.filter((c) => !activeState(c.state)).reduce((a, c) => a + c.sizeRw, 0), du.containers.reduce((a, c) => a + c.sizeRw, 0)),
    },
    {
      Type: () => 'Local Volumes',
      TotalCount: () => String(du.volumes.length),
      Active: () => String(du.volumes.filter((v) => v.links > 0).length),
      Size: () => humanSize4(du.volumes.reduce((a, v) => a + Math.max(v.size, 0), 0)),
      Reclaimable: () => percent(du.volumes.filter((v) => v.links === 0).reduce((a, v) => a + Math.max(v.size, 0), 0), du.volumes.reduce((a, v) => a + Math.max(v.size, 0), 0)),
    },
    {
      Type: () => 'Build Cache',
      TotalCount: () => String(du.buildCache.length),
      Active: () => String(du.buildCache.filter((b) => b.inUse).length),
      Size: () => humanSize4(builderSize),
      Reclaimable: () => humanSize4(builderSize - du.buildCache.filter((b) => b.inUse && !b.shared).reduce((a, b) => a + b.size, 0)),
    },
  ];
}

function verboseImageRows(du: DiskUsage, trunc: boolean): ListRow[] {
  return du.images.map((image) => {
    let repo = '<none>';
    let tag = '<none>';
    const first = image.RepoTags[0];
    if (first !== undefined) {
      const ref = parseReference(first);
      if (ref.tag !== undefined) {
        repo = familiarName(ref);
        tag = ref.tag;
      }
    }
    return imageRow(image, repo, tag, '', trunc);
  });
}

export async function df(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const engine = await ctx.engine();
  const { diskUsage } = await import('../../engine/disk-usage.ts');
  const du = await diskUsage(engine);
  const format = (options['format'] as string | undefined) ?? '';
  if (!options['verbose']) {
    ctx.write(renderList(summaryRows(du), { format: format === '' ? 'table' : format, defaultFormat: DF_TABLE, headers: DF_HEADERS, typeName: '*formatter.diskUsageImagesContext' }));
    return;
  }
  if (format !== '' && format !== 'table') {
    const duc = goStruct({ Images: verboseImageRows(du, format.startsWith('table')).map((r) => goStruct(r, '*formatter.imageContext')), Containers: [], Volumes: [], BuildCache: [] }, 'formatter.diskUsageContext');
    const result = renderInspect([duc], format.replace(/^table\s*/, ''));
    ctx.write(result.output);
    return;
  }
  ctx.write('Images space usage:\n\n');
  ctx.write(renderList(verboseImageRows(du, true), { format: '', defaultFormat: DF_IMAGES_TABLE, headers: IMAGE_HEADERS, typeName: '*formatter.imageContext' }));
  ctx.write('\nContainers space usage:\n\n');
  ctx.write(renderList(du.containers.map((c) => ({
    ID: () => truncateId(c.id), Image: () => c.image, Command: () => quoteString(ellipsis(c.command, 20)), LocalVolumes: () => String(c.localVolumes),
    Size: () => humanSizeWithPrecision(c.sizeRw, 3), RunningFor: () => timeAgo(c.created * 1000), Status: () => c.status, Names: () => c.names.join(','),
  })), { format: '', defaultFormat: DF_CONTAINERS_TABLE, headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' }, typeName: '*formatter.ContainerContext' }));
  ctx.write('\nLocal Volumes space usage:\n\n');
  ctx.write(renderList(du.volumes.map((v) => ({ Name: () => v.name, Links: () => String(v.links), Size: () => (v.size < 0 ? 'N/A' : humanSize4(v.size)) })), { format: '', defaultFormat: DF_VOLUMES_TABLE, headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' }, typeName: '*formatter.volumeContext' }));
  const builderSize = du.buildCache.filter((b) => !b.shared).reduce((a, b) => a + b.size, 0);
  ctx.write(`\nBuild cache usage: ${humanSize4(builderSize)}\n\n`);
  ctx.write(renderList(du.buildCache.map((b) => ({
    ID: () => b.id.slice(0, 12), CacheType: () => b.type, Size: () => humanSize4(b.size), CreatedSince: () => timeAgo(b.createdAt),
    LastUsedSince: () => timeAgo(b.lastUsedAt), UsageCount: () => String(b.usageCount), Shared: () => String(b.shared),
  })), { format: '', defaultFormat: DF_CACHE_TABLE, headers: { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' }, typeName: '*formatter.buildCacheContext' }));
}

async function versionInfo(): Promise<Record<string, unknown>> {
  const { serverVersion } = await import('../../engine/system-info.ts');
  const server = await serverVersion('strata (daemonless)');
  const component = { Version: server.Version, ApiVersion: server.ApiVersion, NodeVersion: server.NodeVersion, Os: server.Os, Arch: server.Arch, KernelVersion: server.KernelVersion };
  return {
    Client: { Platform: { Name: 'strata' }, ...component, Context: 'default' },
    Server: { Platform: server.Platform, Components: server.Components, ...component, MinAPIVersion: server.MinAPIVersion },
  };
}

export async function version(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const info = await versionInfo();
  const format = options['format'] as string | undefined;
  if (format) {
    ctx.write(renderInspect([info], format).output);
    return;
  }
  const c = info['Client'] as Record<string, string>;
  ctx.write(`Client: strata\n Version:           ${c['Version']}\n API version:       ${c['ApiVersion']}\n Node.js version:   ${c['NodeVersion']}\n OS/Arch:           ${c['Os']}/${c['Arch']}\n\nServer: strata (daemonless: every command works on the store directly)\n Engine:\n  Version:          ${c['Version']}\n  API version:      ${c['ApiVersion']}\n  Kernel Version:   ${c['KernelVersion']}\n`);
  const runc = ((info['Server'] as { Components: { Name: string; Version: string; Details: { GitCommit?: string } }[] }).Components).find((p) => p.Name === 'runc');
  if (runc !== undefined) ctx.write(` runc:\n  Version:          ${runc.Version}\n  GitCommit:        ${runc.Details.GitCommit ?? ''}\n`);
}

export async function info(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const engine = await ctx.engine();
  const { systemInfo } = await import('../../engine/system-info.ts');
  const { info: data, warning } = await systemInfo(engine);
  const format = options['format'] as string | undefined;
  if (format) {
    ctx.write(renderInspect([data], format).output);
    return;
  }
  ctx.write(`Client: strata\n Version:    0.1.0\n\nServer:\n Containers: ${data.Containers}\n  Running: ${data.ContainersRunning}\n  Paused: ${data.ContainersPaused}\n  Stopped: ${data.ContainersStopped}\n Images: ${data.Images}\n Server Version: ${data.ServerVersion}\n Storage Driver: ${data.Driver}\n Default Runtime: runc\n runc version: ${data.RuncCommit.ID}\n Kernel Version: ${data.KernelVersion}\n Operating System: ${data.OperatingSystem}\n OSType: linux\n Architecture: ${data.Architecture}\n CPUs: ${data.NCPU}\n Total Memory: ${bytesSize(data.MemTotal)}\n Docker Root Dir: ${data.DockerRootDir}\n`);
  if (warning !== undefined) ctx.warn(`WARNING: ${warning}`);
}

export async function check(ctx: CliContext, _args: string[], options: Options): Promise<number> {
  const engine = await ctx.engine();
  const { checkStore } = await import('../../engine/store-check.ts');
  const report = await checkStore(engine, { repair: Boolean(options['repair']) });
  const describe = (l: { what: string; why: string; size?: number }): string => `${l.what}${l.size === undefined ? '' : ` (${humanSize(l.size)})`}: ${l.why}`;
  for (const l of report.repaired) ctx.println(`repaired: ${l.repair ?? 'removed'} ${describe(l)}`);
  for (const l of report.leftovers) ctx.println(`leftover: ${describe(l)}`);
  for (const line of report.problems) ctx.println(`problem: ${line}`);
  const found = [
    ...(report.problems.length > 0 ? [`${report.problems.length} problem(s)`] : []),
    // While records are missing, what they name may only look unused: the collector waits.
    ...(report.leftovers.length > 0 ? [`${report.leftovers.length} leftover(s), which --repair removes${report.garbageHeld ? ' (blobs, layers and snapshots once no record is missing)' : ''}`] : []),
  ];
  ctx.println(`checked ${report.blobsChecked} blob(s) and ${report.imagesChecked} image(s): ${found.length === 0 ? 'OK' : found.join(', ')}`);
  // Anything found is a non-zero status, so scripts notice leftovers as well as problems.
  return found.length === 0 ? 0 : 1;
}
