/**
 * Network rows (docker's networks), the addresses running containers hold on them and the
 * host ports their published ports hold. Choosing a free address or port is the caller's
 * (network/); these calls run inside its transaction, so the choice and the insert are one.
 */
import type { Database } from './database.ts';

export interface NetworkRow {
  id: string;
  name: string;
  /** 'bridge' | 'host' | 'null'. */
  driver: string;
  /** IPv4 CIDR; '' for host and none. */
  subnet: string;
  gateway: string;
  /** '' = the whole subnet. */
  ipRange: string;
  internal: boolean;
  /** The Linux bridge's name; '' for host and none. */
  bridge: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** RFC 3339 Nano. */
  created: string;
}

export interface EndpointRow {
  networkId: string;
  containerId: string;
  ip: string;
}

export interface PortRow {
  hostIp: string;
  hostPort: number;
  protocol: string;
  containerId: string;
}

interface RawNetwork extends Omit<NetworkRow, 'internal' | 'labels' | 'options'> {
  internal: number;
  labels: string;
  options: string;
}

const COLUMNS = 'id, name, driver, subnet, gateway, ip_range AS ipRange, internal, bridge, labels, options, created';

function fromRaw(r: RawNetwork): NetworkRow {
  return { ...r, internal: r.internal === 1, labels: JSON.parse(r.labels) as Record<string, string>, options: JSON.parse(r.options) as Record<string, string> };
}

export class NetworkRecords {
  constructor(private readonly db: Database) {}

  /** Every network, by name. */
  all(): NetworkRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM networks ORDER BY name`).all() as RawNetwork[]).map(fromRaw);
  }

  get(id: string): NetworkRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM networks WHERE id = ?`).get(id) as RawNetwork | undefined;
    return r && fromRaw(r);
  }

  byName(name: string): NetworkRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM networks WHERE name = ?`).get(name) as RawNetwork | undefined;
    return r && fromRaw(r);
  }

  /** IDs starting with `prefix` (at most `limit`). */
  idsWithPrefix(prefix: string, limit = 2): string[] {
    const rows = this.db.prepare('SELECT id FROM networks WHERE id >= ? AND id < ? ORDER BY id LIMIT ?').all(prefix, `${prefix}g`, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  insert(n: NetworkRow): void {
    this.db.prepare(`INSERT INTO networks (id, name, driver, subnet, gateway, ip_range, internal, bridge, labels, options, created)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      n.id, n.name, n.driver, n.subnet, n.gateway, n.ipRange, n.internal ? 1 : 0, n.bridge, JSON.stringify(n.labels), JSON.stringify(n.options), n.created,
    );
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
  }

  /** Addresses taken on a network. */
  endpointsOf(networkId: string): EndpointRow[] {
    return this.db.prepare('SELECT network_id AS networkId, container_id AS containerId, ip FROM network_endpoints WHERE network_id = ?').all(networkId) as EndpointRow[];
  }

  allEndpoints(): EndpointRow[] {
    return this.db.prepare('SELECT network_id AS networkId, container_id AS containerId, ip FROM network_endpoints').all() as EndpointRow[];
  }

  /** A container's addresses, one per network it is attached to. */
  endpointsOfContainer(containerId: string): EndpointRow[] {
    return this.db.prepare('SELECT network_id AS networkId, container_id AS containerId, ip FROM network_endpoints WHERE container_id = ?').all(containerId) as EndpointRow[];
  }

  addEndpoint(e: EndpointRow): void {
    this.db.prepare('INSERT INTO network_endpoints (network_id, container_id, ip) VALUES (?, ?, ?)').run(e.networkId, e.containerId, e.ip);
  }

  removeEndpoint(networkId: string, containerId: string): void {
    this.db.prepare('DELETE FROM network_endpoints WHERE network_id = ? AND container_id = ?').run(networkId, containerId);
  }

  /** Gives back what a container holds: its addresses and host ports. */
  releaseContainer(containerId: string): void {
    this.db.prepare('DELETE FROM network_endpoints WHERE container_id = ?').run(containerId);
    this.db.prepare('DELETE FROM published_ports WHERE container_id = ?').run(containerId);
  }

  /** Every published host port held, by protocol. */
  ports(): PortRow[] {
    return this.db.prepare('SELECT host_ip AS hostIp, host_port AS hostPort, protocol, container_id AS containerId FROM published_ports').all() as PortRow[];
  }

  portsOfContainer(containerId: string): PortRow[] {
    return this.db.prepare('SELECT host_ip AS hostIp, host_port AS hostPort, protocol, container_id AS containerId FROM published_ports WHERE container_id = ?').all(containerId) as PortRow[];
  }

  addPort(p: PortRow): void {
    this.db.prepare('INSERT INTO published_ports (host_ip, host_port, protocol, container_id) VALUES (?, ?, ?, ?)').run(p.hostIp, p.hostPort, p.protocol, p.containerId);
  }
}
