/** `network create/ls/inspect/rm/prune` and `port`, with docker's output. */
import { goStruct } from '@strata/go-template';
import { invalidArgument, isStrataError, notFound, type StrataError } from '../../errdefs/index.ts';
import { networkStatusOf, type Container, type ContainerManager } from '../../containers/index.ts';
import { PREDEFINED, type Network, type NetworkStore } from '../../network/index.ts';
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

const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

function matches(n: Network, filters: Map<string, string[]>, inUse: (n: Network) => boolean): boolean {
  for (const [key, values] of filters) {
    if (!NETWORK_FILTERS.includes(key)) throw invalidArgument(`invalid filter '${key}'`);
    const any = (f: (v: string) => boolean): boolean => values.some(f);
    if (key === 'name' && !any((v) => n.name.includes(v))) return false;
    if (key === 'id' && !any((v) => n.id.startsWith(v))) return false;
    if (key === 'driver' && !any((v) => v === n.driver)) return false;
    if (key === 'scope' && !any((v) => v === 'local')) return false;
    if (key === 'type' && !any((v) => (v === 'builtin') === PREDEFINED.includes(n.name))) return false;
    if (key === 'dangling' && !any((v) => (v === 'true' || v === '1') === (!PREDEFINED.includes(n.name) && !inUse(n)))) return false;
    if (key === 'label' && !any((v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in n.labels : n.labels[v.slice(0, eq)] === v.slice(eq + 1);
    })) return false;
  }
  return true;
}

/** Whether any container (running or not) is on the network. */
function usedBy(containers: ContainerManager): (n: Network) => boolean {
  const names = new Set(containers.all().flatMap((c) => c.stored.net?.networks.map((x) => x.name) ?? []));
  return (n) => names.has(n.name);
}

export async function networkLs(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const containers = await manager(ctx);
  const filters = parseFilters(options['filter'] as string[]);
  const inUse = usedBy(containers);
  const list = containers.networking.store.list().filter((n) => matches(n, filters, inUse));
  const format = (options['format'] as string | undefined) ?? '';
  ctx.write(renderList(list.map((n) => networkRow(n, !options['no-trunc'])), {
    format,
    quiet: Boolean(options['quiet']),
    defaultFormat: columns.networks.defaultFormat,
    headers: columns.networks.headers,
    typeName: columns.networks.typeName,
  }));
}

/** docker's network JSON (GET /networks/{id}), `Containers` with the running ones. */
function networkJson(n: Network, store: NetworkStore, containers: ContainerManager): Record<string, unknown> {
  const attached: Record<string, unknown> = {};
  for (const e of store.endpoints(n)) {
    const c = containers.lookup(e.containerId);
    const status = c === undefined ? undefined : networkStatusOf(c)?.networks.find((x) => x.id === n.id);
    attached[e.containerId] = {
      Name: c?.name ?? '', EndpointID: e.containerId.slice(0, 32) + n.id.slice(0, 32), MacAddress: status?.mac ?? '',
      IPv4Address: status ? `${status.ip}/${status.prefixLen}` : e.ip, IPv6Address: '',
    };
  }
  const config = n.subnet === '' ? [] : [{ Subnet: n.subnet, ...(n.ipRange ? { IPRange: n.ipRange } : {}), Gateway: n.gateway }];
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: scopeOf(n),
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: n.name === 'bridge' || n.subnet === '' ? null : {}, Config: config },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(Object.entries(attached).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    Options: n.options,
    Labels: n.labels,
  };
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
  const containers = await manager(ctx);
  const { store } = containers.networking;
  const filters = parseFilters(options['filter'] as string[]);
  for (const key of filters.keys()) if (key !== 'label' && key !== 'label!') throw invalidArgument(`invalid filter '${key}'`);
  const inUse = usedBy(containers);
  const deleted: string[] = [];
  for (const n of store.list()) {
    if (PREDEFINED.includes(n.name) || inUse(n) || store.endpoints(n).length > 0) continue;
    if (!matches(n, new Map([...filters].filter(([k]) => k === 'label')), inUse)) continue;
    if ((filters.get('label!') ?? []).some((v) => matches(n, new Map([['label', [v]]]), inUse))) continue;
    try {
      store.remove(n);
      deleted.push(n.name);
    } catch (err) {
      if (!isStrataError(err)) throw err;
    }
  }
  if (deleted.length > 0) ctx.println(`Deleted Networks:\n${deleted.join('\n')}\n`);
}

export async function networkConnect(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const containers = await manager(ctx);
  const c = containers.find(args[1]!);
  const ip = strOf(options, 'ip');
  await containers.connect(c, args[0]!, { aliases: listOf(options, 'alias'), ...(ip ? { ip } : {}) });
}

export async function networkDisconnect(ctx: CliContext, args: string[]): Promise<void> {
  const containers = await manager(ctx);
  await containers.disconnect(containers.find(args[1]!), args[0]!);
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
