/**
 * What `inspect` and `ps` show of a container's networks: docker's NetworkSettings (filled
 * while it runs, from what is set up; empty fields for a stopped one), its PORTS text and
 * its network names.
 */
import { formatPorts, readNetworkStatus, type NetworkStatus } from '../network/index.ts';
import type { Container } from './container.ts';

/** The names of the networks it is on (`ps`'s NETWORKS, the `network=` filter). */
export function networkNames(c: Container): string[] {
  if (c.stored.net !== undefined) return c.stored.net.networks.map((n) => n.name);
  if (c.stored.netContainer !== undefined) return [];
  return [c.stored.run.network === 'host' ? 'host' : 'none'];
}

/** The set-up network of a running container (undefined when none is set up). */
export function networkStatusOf(c: Container): NetworkStatus | undefined {
  return c.stored.net === undefined ? undefined : readNetworkStatus(c.dir);
}

/** `0.0.0.0:8080->80/tcp, …`, as ps prints it; '' when nothing is published. */
export function portsText(c: Container, running: boolean): string {
  const status = running ? networkStatusOf(c) : undefined;
  return status === undefined ? '' : formatPorts(status.ports);
}

/** docker's `NetworkSettings.Ports`: published ports with their host side, exposed ones null. */
function portsMap(c: Container, status: NetworkStatus | undefined): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  if (status === undefined) return {};
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const p of Object.keys(c.stored.config.ExposedPorts ?? {})) out[p.includes('/') ? p : `${p}/tcp`] = null;
  for (const p of status.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    (out[key] ??= []).push({ HostIp: p.hostIp === '' ? '0.0.0.0' : p.hostIp, HostPort: String(p.hostPort) });
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function networkSettings(c: Container, running: boolean): Record<string, unknown> {
  const status = running ? networkStatusOf(c) : undefined;
  const byName = new Map((status?.networks ?? []).map((n) => [n.name, n]));
  const primary = status?.networks.find((n) => n.name === 'bridge');
  const networks: Record<string, unknown> = {};
  for (const name of networkNames(c)) {
    const n = byName.get(name);
    const spec = c.stored.net?.networks.find((s) => s.name === name);
    const dnsNames = name === 'bridge' || c.stored.net === undefined ? null : [c.name, c.id.slice(0, 12), ...(spec?.aliases ?? [])];
    networks[name] = {
      IPAMConfig: spec?.ip ? { IPv4Address: spec.ip } : null, Links: null, Aliases: spec && spec.aliases.length > 0 ? spec.aliases : null,
      MacAddress: n?.mac ?? '', DriverOpts: null, NetworkID: n?.id ?? '', EndpointID: n ? c.id.slice(0, 32) + n.id.slice(0, 32) : '',
      Gateway: n?.gateway ?? '', IPAddress: n?.ip ?? '', IPPrefixLen: n?.prefixLen ?? 0,
      IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: n ? dnsNames : null,
    };
  }
  return {
    Bridge: '',
    SandboxID: status ? c.id : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portsMap(c, status),
    SandboxKey: status?.netns ?? '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: primary ? c.id.slice(0, 32) + primary.id.slice(0, 32) : '',
    Gateway: primary?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: primary?.ip ?? '',
    IPPrefixLen: primary?.prefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: primary?.mac ?? '',
    Networks: networks,
  };
}
