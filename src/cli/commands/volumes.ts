/** `volume create/ls/inspect/rm/prune`, with docker's output. */
import { goStruct } from '@strata/go-template';
import { invalidArgument, isStrataError, type StrataError } from '../../errdefs/index.ts';
import type { VolumeStore, VolumeSummary } from '../../containers/index.ts';
import { renderList, type ListRow } from '../format/render.ts';
import { columns } from '../format/columns.ts';
import { humanSize4 } from '../format/size.ts';
import { parseFilters } from '../filters.ts';
import { confirm } from '../confirm.ts';
import { keyValues } from '../key-values.ts';
import { printInspect } from '../inspect-output.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

async function volumes(ctx: CliContext): Promise<VolumeStore> {
  const engine = await ctx.engine();
  return (await engine.containers()).volumes;
}


export async function volumeCreate(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const store = await volumes(ctx);
  const flagName = options['name'] as string | undefined;
  if (args[0] !== undefined && flagName !== undefined && flagName !== args[0]) {
    throw invalidArgument(`conflicting options: either specify --name or provide positional arg, not both`);
  }
  const name = args[0] ?? flagName;
  const labels = keyValues((options['label'] as string[] | undefined) ?? [], 'label');
  const opts = keyValues((options['opt'] as string[] | undefined) ?? [], 'opt');
  const v = store.create({
    ...(name !== undefined && name !== '' ? { name } : {}),
    ...(options['driver'] ? { driver: options['driver'] as string } : {}),
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
    ...(Object.keys(opts).length > 0 ? { options: opts } : {}),
  });
  (await ctx.engine()).events.append('volume', 'create', v.Name, { driver: v.Driver });
  ctx.println(v.Name);
}

function volumeRow(v: VolumeSummary, size: () => number): ListRow {
  const labels = v.Labels ?? {};
  return {
    Name: () => v.Name,
    Driver: () => v.Driver,
    Scope: () => v.Scope,
    Mountpoint: () => v.Mountpoint,
    Labels: () => Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Label: (name: string) => labels[name] ?? '',
    Links: () => String(v.links),
    Size: () => {
      const s = size();
      return s < 0 ? 'N/A' : humanSize4(s);
    },
    Group: () => 'N/A',
    Availability: () => 'N/A',
    Status: () => 'N/A',
  };
}

export async function volumeLs(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const store = await volumes(ctx);
  const filters = parseFilters(options['filter'] as string[]);
  const list = store.list(filters);
  const format = (options['format'] as string | undefined) ?? '';
  const quiet = Boolean(options['quiet']);
  ctx.write(renderList(list.map((v) => volumeRow(v, () => store.size(v.Name))), {
    format: quiet && (format === '' || format === 'table') ? '{{.Name}}' : format,
    defaultFormat: columns.volumes.defaultFormat,
    headers: columns.volumes.headers,
    typeName: columns.volumes.typeName,
  }));
}

export async function volumeInspect(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const store = await volumes(ctx);
  const values: unknown[] = [];
  const errors: StrataError[] = [];
  for (const name of args) {
    try {
      const raw = store.inspect(name);
      values.push(goStruct(raw as unknown as Record<string, unknown>, 'volume.Volume', { marshalJSON: () => JSON.stringify(raw) }));
    } catch (err) {
      if (!isStrataError(err)) throw err;
      errors.push(err);
    }
  }
  return printInspect(ctx, values, options['format'] as string | undefined, errors);
}

export async function volumeRm(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const store = await volumes(ctx);
  let failed = false;
  for (const name of args) {
    try {
      store.remove(name, { force: Boolean(options['force']) });
      (await ctx.engine()).events.append('volume', 'destroy', name, { driver: 'local' });
      ctx.println(name);
    } catch (err) {
      if (!isStrataError(err)) throw err;
      ctx.warn(`Error: ${err.message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}


export async function volumePrune(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const filters = parseFilters(options['filter'] as string[]);
  const all = Boolean(options['all']);
  if (!options['force']) {
    const warning = all ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!(await confirm(ctx, warning))) return;
  }
  const store = await volumes(ctx);
  const { deleted, reclaimed } = store.prune({ all, filters });
  const events = (await ctx.engine()).events;
  for (const name of deleted) events.append('volume', 'destroy', name, { driver: 'local' });
  if (deleted.length > 0) {
    ctx.println('Deleted Volumes:');
    for (const name of deleted) ctx.println(name);
    ctx.println();
  }
  ctx.println(`Total reclaimed space: ${humanSize4(reclaimed)}`);
}
