/**
 * Networks as docker has them: the predefined `bridge` (the default, on the Linux bridge
 * `strata0`), `host` and `none`, and user-defined bridge networks. Records live in SQLite;
 * the addresses and host ports running containers hold are taken in one transaction
 * (network_endpoints, published_ports), so parallel starts never share one.
 */
import { readFileSync } from 'node:fs';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../errdefs/index.ts';
import { randomHexId } from '../internal/index.ts';
import { inTransaction, NetworkRecords, type Database, type NetworkRow } from '../metadata/index.ts';
import { nowRfc3339Nano } from '../oci/index.ts';
import { loadNetworkDefaults, type NetworkDefaults } from './daemon-config.ts';
import type { HostClaims, HostLeases } from './host-leases.ts';
import { contains, formatCidr, formatIPv4, lastAddress, overlaps, parseCidr, parseIPv4, type Subnet } from './ipv4.ts';

export type Network = NetworkRow;

/** Networks docker makes itself, which can't be created or removed. */
export const PREDEFINED = ['bridge', 'host', 'none'];

export interface CreateNetworkRequest {
  name: string;
  driver?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/** One network a starting container asks an address on. */
export interface AddressRequest {
  network: Network;
  /** `--ip`. */
  ip?: string;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function subnetOf(n: Network): Subnet {
  return parseCidr(n.subnet)!.subnet;
}

/** The host's IPv4 routes other than the default one (/proc/net/route: little-endian hex). */
function hostRoutes(): Subnet[] {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const le = (hex: string): number => Buffer.from(hex, 'hex').readUInt32LE(0);
  return text.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 8 && f[1] !== '00000000').map((f) => {
    const mask = le(f[7]!);
    const prefix = mask === 0 ? 0 : 32 - Math.log2((~mask >>> 0) + 1);
    return { base: le(f[1]!), prefix };
  });
}

export class NetworkStore {
  private readonly records: NetworkRecords;
  private defaults: NetworkDefaults | undefined;

  /** `leases`: the host-wide ones, taken with this store's for a holder (a container directory). */
  constructor(private readonly db: Database, private readonly leases?: HostLeases) {
    this.records = new NetworkRecords(db);
  }

  private settings(): NetworkDefaults {
    this.defaults ??= loadNetworkDefaults();
    return this.defaults;
  }

  /** Makes the predefined networks on first use (the default bridge's subnet from daemon.json). */
  private ensureDefaults(): void {
    if (this.records.byName('bridge') !== undefined) return;
    const settings = this.settings();
    inTransaction(this.db, () => {
      if (this.records.byName('bridge') !== undefined) return;
      const created = nowRfc3339Nano();
      const base = { ipRange: '', internal: false, labels: {}, options: {}, created };
      let subnet: Subnet;
      let gateway: number;
      if (settings.bip !== undefined) {
        ({ subnet, gateway } = settings.bip);
      } else {
        // The default bridge is shared by every store on the host: the same first pool subnet.
        subnet = this.freeSubnet(settings, false);
        gateway = subnet.base + 1;
      }
      this.records.insert({ ...base, id: randomHexId(), name: 'bridge', driver: 'bridge', subnet: formatCidr(subnet), gateway: formatIPv4(gateway), bridge: settings.bridge,
        options: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': settings.bridge } });
      this.records.insert({ ...base, id: randomHexId(), name: 'host', driver: 'host', subnet: '', gateway: '', bridge: '' });
      this.records.insert({ ...base, id: randomHexId(), name: 'none', driver: 'null', subnet: '', gateway: '', bridge: '' });
    });
  }

  /**
   * The first subnet of the pools that no network of this store has and no route of the
   * host reaches (another store's networks, the host's own LANs), as docker checks.
   */
  private freeSubnet(settings: NetworkDefaults, avoidRoutes = true): Subnet {
    const taken = [...this.records.all().filter((n) => n.subnet !== '').map(subnetOf), ...(avoidRoutes ? hostRoutes() : [])];
    for (const pool of settings.pools) {
      const step = 2 ** (32 - pool.size);
      for (let base = pool.base.base; base <= lastAddress(pool.base); base += step) {
        const candidate = { base: base >>> 0, prefix: pool.size };
        if (!taken.some((t) => overlaps(t, candidate))) return candidate;
      }
    }
    throw failedPrecondition('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  }

  /** `fn` inside the host-wide leases' lock when a holder is given. */
  private withHost<T>(holder: string | undefined, fresh: boolean, fn: (host: HostClaims | undefined) => T): T {
    if (holder === undefined || this.leases === undefined) return fn(undefined);
    return this.leases.claim(holder, fresh, fn);
  }

  /** Every network, by name. */
  list(): Network[] {
    this.ensureDefaults();
    return this.records.all();
  }

  /** The network a name, full ID or unique ID prefix names, or undefined. */
  lookup(ref: string): Network | undefined {
    this.ensureDefaults();
    const byName = this.records.byName(ref);
    if (byName !== undefined) return byName;
    if (!/^[0-9a-f]{1,64}$/.test(ref)) return undefined;
    const ids = this.records.idsWithPrefix(ref);
    return ids.length === 1 ? this.records.get(ids[0]!) : undefined;
  }

  /** @throws not-found `network NAME not found`, as docker's daemon says. */
  find(ref: string): Network {
    const n = this.lookup(ref);
    if (n === undefined) throw notFound(`network ${ref} not found`);
    return n;
  }

  /**
   * `network create`: a bridge network, its subnet given or the first free one of the pools.
   * @throws invalid-argument naming the flag for a bad name, driver, subnet, gateway or range;
   *   already-exists for a taken name; failed-precondition for an overlapping subnet.
   */
  create(request: CreateNetworkRequest): Network {
    this.ensureDefaults();
    const { name } = request;
    if (!NAME.test(name)) throw invalidArgument(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = request.driver ?? 'bridge';
    if (driver !== 'bridge') {
      if (['host', 'null'].includes(driver)) throw failedPrecondition(`only one instance of "${driver}" network is allowed`);
      throw notFound(`plugin "${driver}" not found`, { hint: 'strata has the bridge driver only' });
    }
    let explicit: Subnet | undefined;
    if (request.subnet !== undefined) {
      const parsed = parseCidr(request.subnet);
      if (parsed === undefined) throw invalidArgument(`invalid --subnet ${request.subnet}: not an IPv4 CIDR (strata has no IPv6 networks)`);
      if (parsed.subnet.prefix > 30) throw invalidArgument(`invalid --subnet ${request.subnet}: a /${parsed.subnet.prefix} has no room for a gateway and a container`);
      explicit = parsed.subnet;
    } else if (request.gateway !== undefined || request.ipRange !== undefined) {
      throw invalidArgument(`${request.gateway !== undefined ? '--gateway' : '--ip-range'} needs --subnet`);
    }
    return inTransaction(this.db, () => {
      if (this.records.byName(name) !== undefined) throw alreadyExists(`network with name ${name} already exists`);
      const subnet = explicit ?? this.freeSubnet(this.settings());
      const clash = this.records.all().find((n) => n.subnet !== '' && overlaps(subnetOf(n), subnet));
      if (clash !== undefined) throw failedPrecondition(`invalid pool request: Pool overlaps with other one on this address space (--subnet ${formatCidr(subnet)} overlaps ${clash.subnet} of network ${clash.name})`);
      let gateway = subnet.base + 1;
      if (request.gateway !== undefined) {
        const g = parseIPv4(request.gateway);
        if (g === undefined) throw invalidArgument(`invalid --gateway ${request.gateway}: not an IPv4 address`);
        if (!contains(subnet, g) || g === subnet.base || g === lastAddress(subnet)) throw invalidArgument(`invalid --gateway ${request.gateway}: not a host address of --subnet ${formatCidr(subnet)}`);
        gateway = g;
      }
      let ipRange = '';
      if (request.ipRange !== undefined) {
        const r = parseCidr(request.ipRange);
        if (r === undefined) throw invalidArgument(`invalid --ip-range ${request.ipRange}: not an IPv4 CIDR`);
        if (!contains(subnet, r.subnet.base) || r.subnet.prefix < subnet.prefix) throw invalidArgument(`invalid --ip-range ${request.ipRange}: not inside --subnet ${formatCidr(subnet)}`);
        ipRange = formatCidr(r.subnet);
      }
      const id = randomHexId();
      const network: Network = {
        id, name, driver, subnet: formatCidr(subnet), gateway: formatIPv4(gateway), ipRange, internal: request.internal === true,
        bridge: `br-${id.slice(0, 12)}`, labels: request.labels ?? {}, options: request.options ?? {}, created: nowRfc3339Nano(),
      };
      this.records.insert(network);
      return network;
    });
  }

  /**
   * `network rm`: the predefined ones and those with running containers stay.
   * @throws failed-precondition with docker's messages.
   */
  remove(n: Network): void {
    if (PREDEFINED.includes(n.name)) throw failedPrecondition(`${n.name} is a pre-defined network and cannot be removed`);
    inTransaction(this.db, () => {
      if (this.records.endpointsOf(n.id).length > 0) throw failedPrecondition(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      this.records.remove(n.id);
    });
  }

  /** The containers holding an address on the network now, with it. */
  endpoints(n: Network): Array<{ containerId: string; ip: string }> {
    return this.records.endpointsOf(n.id);
  }

  /** The addresses a container holds now, by network ID. */
  addressesOf(containerId: string): Map<string, string> {
    return new Map(this.records.endpointsOfContainer(containerId).map((e) => [e.networkId, e.ip]));
  }

  /**
   * Takes an address on each network for a starting container, and its host ports, in one
   * transaction: what it held before is given back first.
   * @throws invalid-argument for an `--ip` outside the subnet; failed-precondition when the
   *   address or a host port is taken, or the network is full.
   */
  allocate(
    containerId: string, requests: AddressRequest[], ports: Array<{ hostIp: string; hostPort: number; protocol: string }>,
    released: (containerId: string) => boolean, holder?: string,
  ): string[] {
    return inTransaction(this.db, () => this.withHost(holder, true, (host) => {
      this.records.releaseContainer(containerId);
      // What containers whose supervisor tore their network down at the exit still hold.
      const holders = new Set([...this.records.ports().map((p) => p.containerId), ...this.records.allEndpoints().map((e) => e.containerId)]);
      for (const holder of holders) if (released(holder)) this.records.releaseContainer(holder);
      const held: Array<{ hostIp: string; hostPort: number; protocol: string }> = [...this.records.ports(), ...(host?.ports() ?? [])];
      for (const p of ports) {
        const clash = held.find((h) => h.hostPort === p.hostPort && h.protocol === p.protocol && (h.hostIp === '' || p.hostIp === '' || h.hostIp === p.hostIp));
        if (clash !== undefined) throw failedPrecondition(`Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`);
        this.records.addPort({ ...p, containerId });
        host?.addPort(p);
        held.push(p);
      }
      return requests.map((r) => this.takeAddress(containerId, r, host));
    }));
  }

  /** An address on the network, free in this store and (given `host`) on its bridge host-wide. */
  private takeAddress(containerId: string, r: AddressRequest, host: HostClaims | undefined): string {
    const ip = this.freeAddress(r, host?.addressesOn(r.network.bridge));
    this.records.addEndpoint({ networkId: r.network.id, containerId, ip });
    host?.addAddress(r.network.bridge, ip);
    return ip;
  }

  private freeAddress(r: AddressRequest, takenOnHost = new Set<string>()): string {
    const subnet = subnetOf(r.network);
    const gateway = parseIPv4(r.network.gateway)!;
    const taken = new Set([...this.records.endpointsOf(r.network.id).map((e) => e.ip), ...takenOnHost]);
    if (r.ip !== undefined) {
      const want = parseIPv4(r.ip);
      if (want === undefined) throw invalidArgument(`invalid --ip ${r.ip}: not an IPv4 address`);
      if (!contains(subnet, want) || want === subnet.base || want === lastAddress(subnet) || want === gateway) {
        throw invalidArgument(`invalid --ip ${r.ip}: no configured subnet or ip-range contain the IP address ${r.ip} on network ${r.network.name}`);
      }
      if (taken.has(r.ip)) throw failedPrecondition(`Address already in use: ${r.ip} on network ${r.network.name}`);
      return r.ip;
    }
    const range = r.network.ipRange === '' ? subnet : parseCidr(r.network.ipRange)!.subnet;
    for (let a = range.base; a <= lastAddress(range); a++) {
      if (a === subnet.base || a === gateway || a === lastAddress(subnet)) continue;
      const text = formatIPv4(a);
      if (!taken.has(text)) return text;
    }
    throw failedPrecondition(`no available IPv4 addresses on network ${r.network.name}`);
  }

  /**
   * One more address for a running container (`network connect`), its others kept.
   * @throws failed-precondition when it has one on that network already.
   */
  addAddress(containerId: string, request: AddressRequest, holder?: string): string[] {
    return inTransaction(this.db, () => this.withHost(holder, false, (host) => {
      if (this.records.endpointsOfContainer(containerId).some((e) => e.networkId === request.network.id)) {
        throw failedPrecondition(`endpoint with name ${containerId.slice(0, 12)} already exists in network ${request.network.name}`);
      }
      return [this.takeAddress(containerId, request, host)];
    }));
  }

  /**
   * An address on `network` for something that has no container record (a build step's
   * container): leased host-wide only, free in this store too.
   */
  leaseAddress(holder: string, network: Network): string {
    return this.withHost(holder, false, (host) => {
      const ip = this.freeAddress({ network }, host?.addressesOn(network.bridge));
      host?.addAddress(network.bridge, ip);
      return ip;
    });
  }

  /** Gives back a container's address on one network. */
  releaseAddress(containerId: string, network: Network, holder?: string): void {
    inTransaction(this.db, () => this.records.removeEndpoint(network.id, containerId));
    if (holder !== undefined) this.leases?.release(holder, network.bridge);
  }

  /** Gives back a container's addresses and host ports. */
  release(containerId: string, holder?: string): void {
    inTransaction(this.db, () => this.records.releaseContainer(containerId));
    if (holder !== undefined) this.leases?.release(holder);
  }

  /** Every host port containers hold: this store's, and the host's through any store. */
  heldPorts(): Array<{ hostIp: string; hostPort: number; protocol: string }> {
    return [...this.records.ports(), ...(this.leases?.ports() ?? [])];
  }
}
