/**
 * Networks as docker's daemon shows them, shared by the CLI's `network` commands and the
 * Engine API's `/networks`: the inspect JSON (with the containers attached), the list
 * filters, and prune's rule (custom networks no container is on).
 */
import { invalidArgument, isStrataError } from '../errdefs/index.ts';
import { PREDEFINED, type Network, type NetworkStore } from '../network/index.ts';
import type { ContainerManager } from './container-manager.ts';
import { networkStatusOf } from './network-view.ts';

/** Whether any container (running or not) is on the network. */
export function networkUsedBy(containers: ContainerManager): (n: Network) => boolean {
  const names = new Set(containers.all().flatMap((c) => c.stored.net?.networks.map((x) => x.name) ?? []));
  return (n) => names.has(n.name);
}

export const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

/** docker's `network ls` filters. @throws invalid-argument `invalid filter 'KEY'`. */
export function networkMatches(n: Network, filters: Map<string, string[]>, inUse: (n: Network) => boolean): boolean {
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

/** docker's network JSON (GET /networks/{id}), `Containers` with the running ones. */
export function networkJson(n: Network, store: NetworkStore, containers: ContainerManager): Record<string, unknown> {
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
    Scope: 'local',
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

/**
 * `network prune`: removes the custom networks no container is on that the `label` and
 * `label!` filters keep; returns their names.
 * @throws invalid-argument for another filter.
 */
export function pruneNetworks(containers: ContainerManager, filters: Map<string, string[]>): string[] {
  const { store } = containers.networking;
  for (const key of filters.keys()) if (key !== 'label' && key !== 'label!') throw invalidArgument(`invalid filter '${key}'`);
  const inUse = networkUsedBy(containers);
  const deleted: string[] = [];
  for (const n of store.list()) {
    if (PREDEFINED.includes(n.name) || inUse(n) || store.endpoints(n).length > 0) continue;
    if (!networkMatches(n, new Map([...filters].filter(([k]) => k === 'label')), inUse)) continue;
    if ((filters.get('label!') ?? []).some((v) => networkMatches(n, new Map([['label', [v]]]), inUse))) continue;
    try {
      store.remove(n);
      deleted.push(n.name);
    } catch (err) {
      if (!isStrataError(err)) throw err;
    }
  }
  return deleted;
}
