/**
 * A container's attachment to its networks while it runs: the host ports and addresses it
 * takes (network-store.ts), its network namespace (netns.ts), netavark's setup and the one
 * teardown (netavark.ts), and what `inspect`, `ps` and `port` show of it.
 *
 * Files in the container's directory:
 *   network.json      what is set up (namespace, addresses, MACs, ports); written first, so
 *                     a crash at any later step leaves a mark the next look cleans up
 *   netavark.json     netavark's input, present while netavark's part is set up; the
 *                     teardown renames it to netavark.released (the supervisor's exit hook
 *                     can't reach SQLite: the next allocation gives back such a container's
 *                     rows, the next look at the container removes the rest)
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { failedPrecondition, isStrataError } from '../errdefs/index.ts';
import { writeFileAtomic } from '../internal/index.ts';
import type { Database } from '../metadata/index.ts';
import { parseCidr } from './ipv4.ts';
import { cleanUpFirewall, findTools, netavarkSetup, runTeardown, teardownArgs, teardownOne, type NetavarkTools } from './netavark.ts';
import { HostLeases } from './host-leases.ts';
import { createNetns, netnsPath } from './netns.ts';
import { NetworkStore, type Network } from './network-store.ts';
import type { HeldPort, PortBindings } from './ports.ts';

/** What a container's record says about its networks (bridge and user-defined ones). */
export interface ContainerNetworkSpec {
  /** Networks by name, in the order they were given; the first is eth0. */
  networks: Array<{ name: string; aliases: string[]; ip?: string; mac?: string }>;
  portBindings: PortBindings;
}

/** What is set up while the container runs (`network.json`). */
export interface NetworkStatus {
  netns: string;
  networks: Array<{ id: string; name: string; ip: string; prefixLen: number; gateway: string; mac: string; aliases: string[]; dns: boolean; bridge: string; iface?: string }>;
  ports: HeldPort[];
}

export interface AttachRequest {
  id: string;
  name: string;
  dir: string;
  spec: ContainerNetworkSpec;
  /**
   * false: the container has no record in the store (a build step's): its address is leased
   * host-wide only, and it publishes no ports.
   */
  recorded?: boolean;
}

const NOT_DURABLE = { durable: false } as const;

/** Errors of `attach`: the container could not join its networks (nothing of them is left set up). */
const attachErrors = new WeakSet<object>();

/** Marks `err` as a failure to join a network (another container's, say). */
export function asNetworkAttachError<T extends object>(err: T): T {
  attachErrors.add(err);
  return err;
}

/** Whether a start failed because its network could not be set up (`run` then removes the container it made). */
export function isNetworkAttachError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && attachErrors.has(err);
}

function listen(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : port));
    });
  });
}

/** docker's messages for a host port that can't be had. */
async function checkHostPort(hostIp: string, port: number): Promise<number> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  try {
    return await listen(host, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw failedPrecondition(`Bind for ${host}:${port} failed: port is already allocated`);
    if (code === 'EADDRNOTAVAIL') throw failedPrecondition(`Error starting userland proxy: listen tcp4 ${host}:${port}: bind: cannot assign requested address`, { hint: `${host} is not an address of this host` });
    throw failedPrecondition(`Bind for ${host}:${port} failed: ${(err as Error).message}`);
  }
}

/** What is set up for a container whose directory is `dir` (undefined when nothing is). */
export function readNetworkStatus(dir: string): NetworkStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as NetworkStatus;
  } catch {
    return undefined;
  }
}

/**
 * The name netavark knows a network by: its bridge's, which is unique on the host. netavark
 * names its firewall chain after the network's name, so two stores' networks of the same
 * name (every store's `bridge`) on different bridges would share one chain, and the last
 * container of one would take the other's masquerade rule with it.
 */
export function netavarkName(n: Pick<Network, 'bridge'>): string {
  return n.bridge;
}

/** netavark's input for one network of a container. */
function netavarkNetwork(id: string, n: Network, iface: string, ip: string, want: ContainerNetworkSpec['networks'][number]): { network: unknown; info: unknown } {
  return {
    network: {
      interface_name: iface,
      static_ips: [ip],
      ...(n.name !== 'bridge' ? { aliases: [id.slice(0, 12), ...want.aliases] } : {}),
      ...(want.mac ? { static_mac: want.mac } : {}),
    },
    info: {
      name: netavarkName(n), id: n.id, driver: 'bridge', network_interface: n.bridge,
      subnets: [{ subnet: n.subnet, gateway: n.gateway }],
      ipv6_enabled: false, internal: n.internal, dns_enabled: n.name !== 'bridge', options: {},
    },
  };
}

interface NetavarkInput {
  container_id: string;
  container_name: string;
  networks: Record<string, unknown>;
  network_info: Record<string, unknown>;
  port_mappings: unknown[];
}

export class ContainerNetworking {
  readonly store: NetworkStore;
  private toolsCache: NetavarkTools | undefined;

  private readonly leases = new HostLeases();

  constructor(private readonly root: string, db: Database, private readonly containersHome: string) {
    this.store = new NetworkStore(db, this.leases);
  }

  /**
   * Clears netavark's base chains when no container on the host uses them any more; while
   * another one holds an address (any store's: the leases are host-wide) they stay, and a
   * lookup saves the clean-up script's run.
   */
  private cleanUpWhenUnused(): void {
    if (!this.leases.anyHeld()) cleanUpFirewall(this.tools());
  }

  private tools(): NetavarkTools {
    this.toolsCache ??= findTools(join(this.root, 'netavark'));
    return this.toolsCache;
  }

  /** Host ports for the bindings: fixed ones checked, ephemeral and ranged ones chosen. */
  private async hostPorts(bindings: PortBindings): Promise<HeldPort[]> {
    const held: HeldPort[] = [];
    const taken = new Set(this.store.heldPorts().map((p) => `${p.protocol}:${p.hostPort}`));
    for (const [key, list] of Object.entries(bindings)) {
      const [portText, proto] = key.split('/') as [string, 'tcp' | 'udp'];
      for (const b of list) {
        let hostPort: number;
        if (b.HostPort === '') {
          // The kernel's ephemeral range (32768–60999), as docker's allocator uses.
          do hostPort = await checkHostPort(b.HostIp, 0);
          while (taken.has(`${proto}:${hostPort}`));
        } else if (b.HostPort.includes('-')) {
          const [lo, hi] = b.HostPort.split('-').map(Number) as [number, number];
          let found: number | undefined;
          for (let p = lo; p <= hi && found === undefined; p++) {
            if (taken.has(`${proto}:${p}`)) continue;
            try {
              found = await checkHostPort(b.HostIp, p);
            } catch (err) {
              if (!isStrataError(err)) throw err;
            }
          }
          if (found === undefined) throw failedPrecondition(`Bind for ${b.HostIp || '0.0.0.0'}:${b.HostPort} failed: every port in the range is already allocated`);
          hostPort = found;
        } else {
          hostPort = Number(b.HostPort);
          // udp ports are checked by the allocation only (a TCP listen says nothing of them).
          if (proto === 'tcp' && !taken.has(`${proto}:${hostPort}`)) await checkHostPort(b.HostIp, hostPort);
        }
        taken.add(`${proto}:${hostPort}`);
        held.push({ hostIp: b.HostIp, hostPort, containerPort: Number(portText), protocol: proto });
      }
    }
    return held;
  }

  /**
   * Sets up the container's networks before the runtime starts it.
   * @throws failed-precondition for a taken port or address, a network that is gone, or a
   *   failed setup; nothing is left set up then.
   */
  async attach(request: AttachRequest): Promise<NetworkStatus> {
    const { id, dir, spec } = request;
    const networks: Network[] = spec.networks.map((n) => this.store.find(n.name));
    const statusFile = join(dir, 'network.json');
    const netns = netnsPath(this.root, id);
    let status: NetworkStatus = { netns, networks: [], ports: [] };
    writeFileAtomic(statusFile, JSON.stringify(status), NOT_DURABLE);
    // A mark of the last run's exit would make this run's host-wide leases look stale.
    rmSync(join(dir, 'netavark.released'), { force: true });
    try {
      const recorded = request.recorded !== false;
      const ports = recorded ? await this.hostPorts(spec.portBindings) : [];
      const released = (cid: string): boolean => existsSync(join(this.containersHome, cid, 'netavark.released'));
      const ips = recorded
        ? this.store.allocate(id, networks.map((n, i) => ({ network: n, ...(spec.networks[i]!.ip ? { ip: spec.networks[i]!.ip! } : {}) })), ports, released, dir)
        : networks.map((n) => this.store.leaseAddress(dir, n));
      const parts = networks.map((n, i) => netavarkNetwork(id, n, `eth${i}`, ips[i]!, spec.networks[i]!));
      const input: NetavarkInput = {
        container_id: id,
        container_name: request.name,
        networks: Object.fromEntries(networks.map((n, i) => [netavarkName(n), parts[i]!.network])),
        network_info: Object.fromEntries(networks.map((n, i) => [netavarkName(n), parts[i]!.info])),
        port_mappings: ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })),
      };
      status = {
        netns, ports,
        networks: networks.map((n, i) => ({
          id: n.id, name: n.name, ip: ips[i]!, prefixLen: parseCidr(n.subnet)!.subnet.prefix, gateway: n.gateway, mac: '',
          aliases: n.name === 'bridge' ? [] : spec.networks[i]!.aliases, dns: n.name !== 'bridge', bridge: n.bridge, iface: `eth${i}`,
        })),
      };
      writeFileAtomic(statusFile, JSON.stringify(status), NOT_DURABLE);
      createNetns(netns);
      writeFileAtomic(join(dir, 'netavark.json'), JSON.stringify(input), NOT_DURABLE);
      const answer = JSON.parse(netavarkSetup(this.tools(), netns, JSON.stringify(input))) as Record<string, { interfaces?: Record<string, { mac_address?: string }> }>;
      networks.forEach((n, i) => { status.networks[i]!.mac = answer[netavarkName(n)]?.interfaces?.[`eth${i}`]?.mac_address ?? ''; });
      writeFileAtomic(statusFile, JSON.stringify(status), NOT_DURABLE);
      return status;
    } catch (err) {
      this.detach(id, dir);
      if (typeof err === 'object' && err !== null) attachErrors.add(err);
      throw err;
    }
  }

  /**
   * `network connect` of a running container: an address on `network`, and netavark's setup
   * of that network alone in the container's namespace (the next free ethN).
   * @throws failed-precondition when it is attached already, or the setup fails (then
   *   nothing of it is left).
   */
  connect(request: { id: string; dir: string }, network: Network, want: ContainerNetworkSpec['networks'][number]): void {
    const { id, dir } = request;
    const status = readNetworkStatus(dir);
    const inputFile = join(dir, 'netavark.json');
    if (status === undefined || !existsSync(inputFile)) throw failedPrecondition(`container ${id} has no network namespace of its own to connect`);
    const [ip] = this.store.addAddress(id, { network, ...(want.ip ? { ip: want.ip } : {}) }, dir);
    const used = new Set(status.networks.map((n, i) => n.iface ?? `eth${i}`));
    let k = 0;
    while (used.has(`eth${k}`)) k++;
    const iface = `eth${k}`;
    const part = netavarkNetwork(id, network, iface, ip!, want);
    const full = JSON.parse(readFileSync(inputFile, 'utf8')) as NetavarkInput;
    const key = netavarkName(network);
    const single: NetavarkInput = { ...full, networks: { [key]: part.network }, network_info: { [key]: part.info }, port_mappings: [] };
    let answer: Record<string, { interfaces?: Record<string, { mac_address?: string }> }>;
    try {
      answer = JSON.parse(netavarkSetup(this.tools(), status.netns, JSON.stringify(single))) as typeof answer;
    } catch (err) {
      teardownOne(this.tools(), status.netns, JSON.stringify(single));
      this.store.releaseAddress(id, network, dir);
      throw err;
    }
    full.networks[key] = part.network;
    full.network_info[key] = part.info;
    writeFileAtomic(inputFile, JSON.stringify(full), NOT_DURABLE);
    status.networks.push({
      id: network.id, name: network.name, ip: ip!, prefixLen: parseCidr(network.subnet)!.subnet.prefix, gateway: network.gateway,
      mac: answer[key]?.interfaces?.[iface]?.mac_address ?? '', aliases: want.aliases, dns: network.name !== 'bridge', bridge: network.bridge, iface,
    });
    writeFileAtomic(join(dir, 'network.json'), JSON.stringify(status), NOT_DURABLE);
  }

  /** `network disconnect` of a running container: netavark's teardown of that one network. */
  disconnect(request: { id: string; dir: string }, network: Network): void {
    const { id, dir } = request;
    const status = readNetworkStatus(dir);
    const inputFile = join(dir, 'netavark.json');
    if (status === undefined || !existsSync(inputFile)) return;
    const full = JSON.parse(readFileSync(inputFile, 'utf8')) as NetavarkInput;
    // Set up before netavark knew networks by their bridge: by the network's own name.
    const key = [netavarkName(network), network.name].find((k) => full.networks[k] !== undefined);
    if (key !== undefined) {
      const single: NetavarkInput = { ...full, networks: { [key]: full.networks[key] }, network_info: { [key]: full.network_info[key] } };
      // Published ports go with the network that carries them (netavark forwards them to the first).
      if (Object.keys(full.networks)[0] !== key) single.port_mappings = [];
      teardownOne(this.tools(), status.netns, JSON.stringify(single));
      delete full.networks[key];
      delete full.network_info[key];
      writeFileAtomic(inputFile, JSON.stringify(full), NOT_DURABLE);
    }
    status.networks = status.networks.filter((n) => n.id !== network.id);
    writeFileAtomic(join(dir, 'network.json'), JSON.stringify(status), NOT_DURABLE);
    this.store.releaseAddress(id, network, dir);
    this.cleanUpWhenUnused();
  }

  /** Whether anything of a network is (or may be) set up for the container. */
  attached(dir: string): boolean {
    return existsSync(join(dir, 'network.json'));
  }

  /**
   * Tears down everything `attach` made, whatever step it got to, gives back the
   * container's addresses and ports, and clears netavark's base chains once unused.
   */
  detach(id: string, dir: string): void {
    if (existsSync(join(dir, 'netavark.json')) || existsSync(netnsPath(this.root, id))) runTeardown(this.tools(), dir, netnsPath(this.root, id));
    this.store.release(id, dir);
    rmSync(join(dir, 'netavark.released'), { force: true });
    rmSync(join(dir, 'network.json'), { force: true });
    this.cleanUpWhenUnused();
  }

  /** The exit hook's argv: the teardown, then `then` (the rootfs unmount). */
  exitHook(id: string, dir: string, then: string[]): string[] {
    const quoted = then.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return teardownArgs(this.tools(), dir, netnsPath(this.root, id), then.length > 0 ? `\nexec 9>&-\nexec ${quoted}` : '');
  }
}
