/**
 * The network part of `POST /containers/create`: HostConfig.NetworkMode, PortBindings,
 * PublishAllPorts, Config.ExposedPorts and NetworkingConfig.EndpointsConfig, mapped the way
 * the CLI's `--network`, `-p`, `-P`, `--ip`, `--network-alias` and `--mac-address` are, with
 * the same rules and messages (fields named as the API names them).
 */
import { invalidArgument, isStrataError } from '../errdefs/index.ts';
import type { ContainerManager } from '../containers/index.ts';
import { parsePublish, type ContainerNetworkSpec, type PortBindings } from '../network/index.ts';

type Json = Record<string, unknown>;

export interface ApiNetworking {
  network: 'none' | 'host';
  /** HostConfig.NetworkMode as recorded (`default` when absent, as docker/cli sends it). */
  mode: string;
  net?: ContainerNetworkSpec;
  netContainer?: string;
  bindings: PortBindings;
  publishAll: boolean;
  /** Config.ExposedPorts, as `80/tcp` keys. */
  exposed: string[];
}

interface Endpoint {
  aliases: string[];
  ip?: string;
  mac?: string;
}

const MAC = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

function asObject(value: unknown, at: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`invalid ${at}: a JSON object is expected`);
  return value as Json;
}

function asString(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidArgument(`invalid ${at}: a string is expected`);
  return value;
}

/** `80`, `80/tcp`, `53/udp` → `80/tcp`, `53/udp`. */
function portKey(key: string, at: string): string {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(key);
  if (m === null || Number(m[1]) < 1 || Number(m[1]) > 65535) throw invalidArgument(`invalid ${at} "${key}": expected PORT[/tcp|udp] (strata publishes tcp and udp)`);
  return `${Number(m[1])}/${(m[2] ?? 'tcp').toLowerCase()}`;
}

/** HostConfig.PortBindings, checked and normalised as `-p` values would be. */
function portBindings(host: Json): PortBindings {
  const raw = asObject(host['PortBindings'], 'HostConfig.PortBindings') ?? {};
  const out: PortBindings = {};
  for (const [key, list] of Object.entries(raw)) {
    const at = `HostConfig.PortBindings["${key}"]`;
    const port = portKey(key, 'HostConfig.PortBindings key');
    if (list === null) continue;
    if (!Array.isArray(list)) throw invalidArgument(`invalid ${at}: a list of {HostIp, HostPort} is expected`);
    list.forEach((b, i) => {
      const binding = asObject(b, `${at}[${i}]`) ?? {};
      const hostIp = asString(binding['HostIp'], `${at}[${i}].HostIp`) ?? '';
      const hostPort = asString(binding['HostPort'], `${at}[${i}].HostPort`) ?? '';
      const [number, proto] = port.split('/');
      // An IP of 0.0.0.0 is the CLI's "every address", recorded as ''.
      const spec = `${hostIp === '0.0.0.0' ? '' : hostIp}:${hostPort}:${number}/${proto}`;
      try {
        parsePublish(spec, out);
      } catch (err) {
        if (isStrataError(err)) throw invalidArgument(`invalid ${at}[${i}]: ${err.message.replace(`invalid -p ${spec}: `, '')}`);
        throw err;
      }
    });
  }
  return out;
}

/** NetworkingConfig.EndpointsConfig's endpoints, by the name or ID they were given under. */
function endpoints(body: Json): Map<string, Endpoint> {
  const networking = asObject(body['NetworkingConfig'], 'NetworkingConfig');
  const raw = asObject(networking?.['EndpointsConfig'], 'NetworkingConfig.EndpointsConfig') ?? {};
  const out = new Map<string, Endpoint>();
  for (const [name, value] of Object.entries(raw)) {
    const at = `NetworkingConfig.EndpointsConfig["${name}"]`;
    const e = asObject(value, at) ?? {};
    const aliases = e['Aliases'] ?? [];
    if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== 'string')) throw invalidArgument(`invalid ${at}.Aliases: a list of strings is expected`);
    const ipam = asObject(e['IPAMConfig'], `${at}.IPAMConfig`) ?? {};
    const ip = asString(ipam['IPv4Address'], `${at}.IPAMConfig.IPv4Address`);
    if (asString(ipam['IPv6Address'], `${at}.IPAMConfig.IPv6Address`) !== undefined) throw invalidArgument(`${at}.IPAMConfig.IPv6Address: strata has no IPv6 networks`);
    const mac = asString(e['MacAddress'], `${at}.MacAddress`);
    if (mac !== undefined && !MAC.test(mac)) throw invalidArgument(`invalid ${at}.MacAddress "${mac}": not a valid mac address`);
    const links = e['Links'];
    if (Array.isArray(links) && links.length > 0) throw invalidArgument(`${at}.Links is not supported by strata: links are legacy; containers on a user-defined network find each other by name`);
    out.set(name, { aliases: aliases as string[], ...(ip ? { ip } : {}), ...(mac ? { mac: mac.toLowerCase() } : {}) });
  }
  return out;
}

/**
 * The networking of a create body.
 * @throws invalid-argument naming the field; not-found for a network or container that doesn't exist.
 */
export function apiNetworking(body: Json, host: Json, containers: ContainerManager): ApiNetworking {
  const store = containers.networking.store;
  const bindings = portBindings(host);
  const publishAll = host['PublishAllPorts'] === true;
  const exposed = Object.keys(asObject(body['ExposedPorts'], 'Config.ExposedPorts') ?? {}).map((k) => portKey(k, 'Config.ExposedPorts key'));
  const publishing = Object.keys(bindings).length > 0 || publishAll;
  const wanted = endpoints(body);
  const given = body['NetworkDisabled'] === true ? 'none' : asString(host['NetworkMode'], 'HostConfig.NetworkMode') ?? 'default';
  const base = { bindings: {}, publishAll: false, exposed };
  const noBridge = (mode: string): void => {
    for (const [name, e] of wanted) {
      // docker-compose names the service as an alias; with network none or host there is nothing to name.
      if (e.ip !== undefined || e.mac !== undefined) throw invalidArgument(`NetworkingConfig.EndpointsConfig["${name}"]: an address needs a bridge network, not NetworkMode ${mode}`);
    }
  };
  if (given === 'none' || given === 'host') {
    noBridge(given);
    // dockerd discards published ports on the host network, as the CLI warns.
    if (given === 'none' && publishing) throw invalidArgument('conflicting options: port publishing and the container type network mode');
    return { ...base, network: given, mode: given };
  }
  if (given.startsWith('container:')) {
    noBridge(given);
    if (publishing) throw invalidArgument('conflicting options: port publishing and the container type network mode');
    const other = containers.find(given.slice('container:'.length));
    return { ...base, network: 'none', mode: `container:${other.id}`, netContainer: other.id };
  }
  const primary = store.find(given === 'default' ? 'bridge' : given);
  if (primary.name === 'host' || primary.name === 'none') return apiNetworking(body, { ...host, NetworkMode: primary.name }, containers);
  // The endpoint of the NetworkMode network first (eth0), then any other the body names.
  const byNetwork = new Map<string, { name: string; endpoint: Endpoint }>();
  byNetwork.set(primary.id, { name: primary.name, endpoint: { aliases: [] } });
  for (const [ref, endpoint] of wanted) {
    const n = ref === given || (given === 'default' && ref === 'bridge') ? primary : store.find(ref);
    if (n.driver !== 'bridge') throw invalidArgument(`NetworkingConfig.EndpointsConfig["${ref}"]: a container on network ${primary.name} can't also be on ${n.name}`);
    byNetwork.set(n.id, { name: n.name, endpoint });
  }
  const networks = [...byNetwork.values()].map(({ name, endpoint }) => {
    const at = `NetworkingConfig.EndpointsConfig["${name}"]`;
    if (name === 'bridge' && endpoint.aliases.length > 0) throw invalidArgument(`${at}.Aliases: network-scoped aliases are only supported for user-defined networks`);
    if (name === 'bridge' && endpoint.ip !== undefined) throw invalidArgument(`${at}.IPAMConfig: user specified IP address is supported on user defined networks only`);
    return { name, aliases: endpoint.aliases, ...(endpoint.ip ? { ip: endpoint.ip } : {}), ...(endpoint.mac ? { mac: endpoint.mac } : {}) };
  });
  return { network: 'none', mode: given, net: { networks, portBindings: bindings }, bindings, publishAll, exposed };
}
