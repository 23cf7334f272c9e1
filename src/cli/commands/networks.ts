/** `network create/ls/inspect/rm/prune` and `port`, with docker's output. */
import { goStruct } from '@strata/go-template';
import { invalidArgument, isStrataError, notFound, type StrataError } from '../../errdefs/index.ts';
import { networkJson, networkMatches, networkStatusOf, networkUsedBy, pruneNetworks, type Container, type ContainerManager } from '../../containers/index.ts';
import type { Network } from '../../network/index.ts';
import { renderList, type ListRow } from '../format/render.ts';
import { columns } from '../format/columns.ts';
import { parseFilters } from '../filters.ts';
import { confirm } from '../confirm.ts';
import { keyValues } from '../key-values.ts';
import { printInspect } from '../inspect-output.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

async function manager(ctx: CliContext): Promise<ContainerManager> {
  return (await ctx.engine()).containers();
}

const listOf = (o: Options, k: string): string[] => (o[k] as string[] | undefined) ?? [];
const strOf = (o: Options, k: string): string | undefined => {
  const v = o[k] as string | undefined;
  return v === undefined || v === '' ? undefined : v;
};

export async function networkCreate(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const { store } = (await manager(ctx)).networking;
  const subnets = listOf(options, 'subnet');
  const gateways = listOf(options, 'gateway');
  const ranges = listOf(options, 'ip-range');
  if (subnets.length > 1 || gateways.length > 1 || ranges.length > 1) throw invalidArgument('strata takes one --subnet, --gateway and --ip-range per network (no IPv6)');
  if (options['ipv6']) throw invalidArgument('--ipv6: strata has no IPv6 networks');
  const n = store.create({
    name: args[0]!,
    ...(strOf(options, 'driver') ? { driver: strOf(options, 'driver')! } : {}),
    ...(subnets[0] !== undefined ? { subnet: subnets[0] } : {}),
    ...(gateways[0] !== undefined ? { gateway: gateways[0] } : {}),
    ...(ranges[0] !== undefined ? { ipRange: ranges[0] } : {}),
    internal: options['internal'] === true,
    labels: keyValues(listOf(options, 'label'), 'label'),
    options: keyValues(listOf(options, 'opt'), 'opt'),
  });
  (await ctx.engine()).events.append('network', 'create', n.id, { name: n.name, type: n.driver });
  ctx.println(n.id);
}

function scopeOf(_n: Network): string {
  return 'local';
}

function networkRow(n: Network, trunc: boolean): ListRow {
  const labels = n.labels;
  return {
    ID: () => (trunc ? n.id.slice(0, 12) : n.id),
    Name: () => n.name,
    Driver: () => n.driver,
    Scope: () => scopeOf(n),
    IPv6: () => 'false',
    Internal: () => String(n.internal),
    Labels: () => Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Label: (name: string) => labels[name] ?? '',
    CreatedAt: () => n.created,
  };
}

export async function networkLs(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const containers = await manager(ctx);
  const filters = parseFilters(options['filter'] as string[]);
  const inUse = networkUsedBy(containers);
  const list = containers.networking.store.list().filter((n) => networkMatches(n, filters, inUse));
  const format = (options['format'] as string | undefined) ?? '';
  ctx.write(renderList(list.map((n) => networkRow(n, !options['no-trunc'])), {
    format,
    quiet: Boolean(options['quiet']),
    defaultFormat: columns.networks.defaultFormat,
    headers: columns.networks.headers,
    typeName: columns.networks.typeName,
  }));
}

export async function networkInspect(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const containers = await manager(ctx);
  const { store } = containers.networking;
  const values: unknown[] = [];
  const errors: StrataError[] = [];
  for (const ref of args) {
    try {
      const raw = networkJson(store.find(ref), store, containers);
      values.push(goStruct(raw, 'network.Inspect', { marshalJSON: () => JSON.stringify(raw) }));
    } catch (err) {
      if (!isStrataError(err)) throw err;
      errors.push(err);
    }
  }
  return printInspect(ctx, values, options['format'] as string | undefined, errors);
}

export async function networkRm(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const { store } = (await manager(ctx)).networking;
  let failed = false;
  for (const ref of args) {
    try {
      const n = store.lookup(ref);
      if (n === undefined) {
        if (options['force']) continue;
        throw notFound(`network ${ref} not found`);
      }
      store.remove(n);
      (await ctx.engine()).events.append('network', 'destroy', n.id, { name: n.name, type: n.driver });
      ctx.println(ref);
    } catch (err) {
      if (!isStrataError(err)) throw err;
      ctx.warn(`Error: ${err.message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

export async function networkPrune(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  if (!options['force'] && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return;
  const deleted = pruneNetworks(await manager(ctx), parseFilters(options['filter'] as string[]));
  const { events } = await ctx.engine();
  for (const name of deleted) events.append('network', 'destroy', name, { name, type: 'bridge' });
  if (deleted.length > 0) ctx.println(`Deleted Networks:\n${deleted.join('\n')}\n`);
}

export async function networkConnect(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const containers = await manager(ctx);
  const c = containers.find(args[1]!);
  const ip = strOf(options, 'ip');
  await containers.connect(c, args[0]!, { aliases: listOf(options, 'alias'), ...(ip ? { ip } : {}) });
  const n = containers.networking.store.find(args[0]!);
  (await ctx.engine()).events.append('network', 'connect', n.id, { container: c.id, name: n.name, type: n.driver });
}

export async function networkDisconnect(ctx: CliContext, args: string[]): Promise<void> {
  const containers = await manager(ctx);
  const c = containers.find(args[1]!);
  await containers.disconnect(c, args[0]!);
  const n = containers.networking.store.find(args[0]!);
  (await ctx.engine()).events.append('network', 'disconnect', n.id, { container: c.id, name: n.name, type: n.driver });
}

/** `port CONTAINER [PRIVATE_PORT[/PROTO]]`: `80/tcp -> 0.0.0.0:8080`, or the host side of one port. */
export async function port(ctx: CliContext, args: string[]): Promise<number> {
  const containers = await manager(ctx);
  const c: Container = containers.find(args[0]!);
  const running = (await containers.status(c)).Running;
  const held = (running ? networkStatusOf(c)?.ports : undefined) ?? [];
  const sorted = [...held].sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol) || a.hostPort - b.hostPort);
  const want = args[1];
  if (want === undefined) {
    for (const p of sorted) ctx.println(`${p.containerPort}/${p.protocol} -> ${p.hostIp || '0.0.0.0'}:${p.hostPort}`);
    return 0;
  }
  const [portText, proto = 'tcp'] = want.split('/');
  if (!/^\d{1,5}$/.test(portText ?? '') || (proto !== 'tcp' && proto !== 'udp')) throw invalidArgument(`Error: invalid port (${want})`);
  const found = sorted.filter((p) => p.containerPort === Number(portText) && p.protocol === proto);
  if (found.length === 0) throw notFound(`No public port '${portText}/${proto}' published for ${args[0]}`);
  for (const p of found) ctx.println(`${p.hostIp || '0.0.0.0'}:${p.hostPort}`);
  return 0;
}
