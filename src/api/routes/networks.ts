/**
 * Network endpoints: list, inspect, create, remove, prune, connect and disconnect, on the
 * same network store and rules as the CLI's `network` commands (containers/network-json.ts).
 */
import { invalidArgument } from '../../errdefs/index.ts';
import { networkJson, networkMatches, networkUsedBy, pruneNetworks, type Container, type ContainerManager } from '../../containers/index.ts';
import type { CreateNetworkRequest, Network } from '../../network/index.ts';
import { queryFilters } from '../filters.ts';
import type { ApiContext, ApiRequest, Route } from '../router.ts';

type Json = Record<string, unknown>;

async function containersOf(api: ApiContext): Promise<ContainerManager> {
  return api.engine.containers();
}

async function body(req: ApiRequest, what: string): Promise<Json> {
  const value = (await req.json<unknown>()) ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument(`invalid ${what} request: a JSON object is expected`);
  return value as Json;
}

function optionalString(o: Json, key: string, at: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalidArgument(`invalid ${at}${key}: a string is expected`);
  return v;
}

function stringRecord(o: Json, key: string): Record<string, string> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalidArgument(`invalid ${key}: a JSON object of strings is expected`);
  }
  return v as Record<string, string>;
}

/** `POST /networks/create`'s body as the CLI's `network create` flags would give it. */
function createRequestOf(b: Json): CreateNetworkRequest {
  const name = optionalString(b, 'Name', '');
  if (name === undefined) throw invalidArgument('invalid Name: a network needs a name');
  // `Attachable` (docker-compose sets it) lets containers join a swarm network by hand; every
  // local network is attachable anyway, so it changes nothing here.
  for (const key of ['EnableIPv6', 'Ingress', 'ConfigOnly']) {
    if (b[key] === true) throw invalidArgument(`${key} is not supported by strata: it has bridge networks, IPv4 only, and no swarm`);
  }
  if (b['ConfigFrom'] !== undefined && b['ConfigFrom'] !== null && optionalString(b['ConfigFrom'] as Json, 'Network', 'ConfigFrom.') !== undefined) {
    throw invalidArgument('ConfigFrom is not supported by strata');
  }
  const ipam = (b['IPAM'] ?? {}) as Json;
  if (typeof ipam !== 'object' || Array.isArray(ipam)) throw invalidArgument('invalid IPAM: a JSON object is expected');
  const ipamDriver = optionalString(ipam, 'Driver', 'IPAM.') ?? 'default';
  if (ipamDriver !== 'default') throw invalidArgument(`IPAM.Driver ${ipamDriver} is not supported by strata: it has the default IPAM driver only`);
  const configs = ipam['Config'] ?? [];
  if (!Array.isArray(configs)) throw invalidArgument('invalid IPAM.Config: a list is expected');
  if (configs.length > 1) throw invalidArgument('IPAM.Config: strata takes one subnet per network (no IPv6)');
  const config = (configs[0] ?? {}) as Json;
  const aux = config['AuxiliaryAddresses'];
  if (aux !== undefined && aux !== null && Object.keys(aux as Json).length > 0) throw invalidArgument('IPAM.Config[0].AuxiliaryAddresses is not supported by strata');
  const subnet = optionalString(config, 'Subnet', 'IPAM.Config[0].');
  const gateway = optionalString(config, 'Gateway', 'IPAM.Config[0].');
  const ipRange = optionalString(config, 'IPRange', 'IPAM.Config[0].');
  const driver = optionalString(b, 'Driver', '');
  return {
    name,
    ...(driver !== undefined ? { driver } : {}),
    ...(subnet !== undefined ? { subnet } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
    ...(ipRange !== undefined ? { ipRange } : {}),
    internal: b['Internal'] === true,
    labels: stringRecord(b, 'Labels'),
    options: stringRecord(b, 'Options'),
  };
}

/** A connect/disconnect request: its body, the network in the path and the container the body names. */
async function endpointRequest(req: ApiRequest, api: ApiContext, what: string): Promise<{ b: Json; containers: ContainerManager; n: Network; c: Container }> {
  const b = await body(req, what);
  const containers = await containersOf(api);
  const n = containers.networking.store.find(req.param('id'));
  const ref = optionalString(b, 'Container', '');
  if (ref === undefined) throw invalidArgument('invalid Container: no container named');
  return { b, containers, n, c: containers.find(ref) };
}

export const networkRoutes: Route[] = [
  {
    method: 'GET',
    path: '/networks',
    handler: async (req, res, api) => {
      const containers = await containersOf(api);
      const filters = queryFilters(req);
      const inUse = networkUsedBy(containers);
      const { store } = containers.networking;
      // dockerd's list leaves Containers empty: only inspect fills it.
      const list = store.list().filter((n) => networkMatches(n, filters, inUse)).map((n) => ({ ...networkJson(n, store, containers), Containers: {} }));
      res.json(200, list);
    },
  },
  {
    method: 'POST',
    path: '/networks/create',
    handler: async (req, res, api) => {
      const request = createRequestOf(await body(req, 'network create'));
      const { store } = (await containersOf(api)).networking;
      const n = store.create(request);
      api.events.emit('network', 'create', n.id, { name: n.name, type: n.driver });
      res.json(201, { Id: n.id, Warning: '' });
    },
  },
  {
    method: 'POST',
    path: '/networks/prune',
    handler: async (req, res, api) => {
      const containers = await containersOf(api);
      const deleted = pruneNetworks(containers, queryFilters(req));
      for (const name of deleted) api.events.emit('network', 'destroy', name, { name, type: 'bridge' });
      res.json(200, { NetworksDeleted: deleted.length === 0 ? null : deleted });
    },
  },
  {
    method: 'GET',
    path: '/networks/{id}',
    handler: async (req, res, api) => {
      const containers = await containersOf(api);
      const { store } = containers.networking;
      res.json(200, networkJson(store.find(req.param('id')), store, containers));
    },
  },
  {
    method: 'DELETE',
    path: '/networks/{id}',
    handler: async (req, res, api) => {
      const { store } = (await containersOf(api)).networking;
      const n = store.find(req.param('id'));
      store.remove(n);
      api.events.emit('network', 'destroy', n.id, { name: n.name, type: n.driver });
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/networks/{id}/connect',
    handler: async (req, res, api) => {
      const { b, containers, n, c } = await endpointRequest(req, api, 'network connect');
      const endpoint = (b['EndpointConfig'] ?? {}) as Json;
      if (typeof endpoint !== 'object' || Array.isArray(endpoint)) throw invalidArgument('invalid EndpointConfig: a JSON object is expected');
      const aliases = endpoint['Aliases'] ?? [];
      if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== 'string')) throw invalidArgument('invalid EndpointConfig.Aliases: a list of strings is expected');
      const ipam = (endpoint['IPAMConfig'] ?? {}) as Json;
      const ip = optionalString(ipam, 'IPv4Address', 'EndpointConfig.IPAMConfig.');
      if (optionalString(ipam, 'IPv6Address', 'EndpointConfig.IPAMConfig.') !== undefined) throw invalidArgument('EndpointConfig.IPAMConfig.IPv6Address: strata has no IPv6 networks');
      await containers.connect(c, n.id, { aliases: aliases as string[], ...(ip ? { ip } : {}) });
      api.events.emit('network', 'connect', n.id, { container: c.id, name: n.name, type: n.driver });
      res.json(200, null);
    },
  },
  {
    method: 'POST',
    path: '/networks/{id}/disconnect',
    handler: async (req, res, api) => {
      const { containers, n, c } = await endpointRequest(req, api, 'network disconnect');
      await containers.disconnect(c, n.id);
      api.events.emit('network', 'disconnect', n.id, { container: c.id, name: n.name, type: n.driver });
      res.json(200, null);
    },
  },
];
