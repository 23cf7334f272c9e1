/**
 * The three files docker bind-mounts over /etc in every container: hosts, hostname and
 * resolv.conf, with the contents docker 20.10 writes for `--network none` and `--network host`.
 */
import type { RunOptions } from './run-options.ts';

/** docker's default /etc/hosts for a container with its own network namespace. */
export const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
].join('\n') + '\n';

export function hostnameFileContent(hostname: string): string {
  return hostname + '\n';
}

/**
 * /etc/hosts: with `--network host`, a copy of the host's file (unless `--add-host` is
 * given: then docker's default list); otherwise docker's default list. `--add-host`
 * records follow, one `ip<TAB>name` line each.
 */
export function hostsFileContent(input: {
  network: 'none' | 'host';
  hostHosts: string;
  extraHosts?: RunOptions['extraHosts'];
}): string {
  const extra = input.extraHosts ?? [];
  if (input.network === 'host' && extra.length === 0) return input.hostHosts;
  return DEFAULT_HOSTS + extra.map((h) => `${h.ip}\t${h.name}\n`).join('');
}

const LOCALHOST_NS = /^nameserver\s+(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)\s*$/;
const IPV6_NS = /^nameserver\s+[0-9a-fA-F:]*:[0-9a-fA-F:.%a-zA-Z]*\s*$/;
const DEFAULT_DNS = ['nameserver 8.8.8.8', 'nameserver 8.8.4.4'];

function field(lines: string[], word: string): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === word) out.push(...parts.slice(1));
  }
  return out;
}

/**
 * /etc/resolv.conf: the host's, as is for `--network host`; for a private network namespace
 * without IPv6, the host's minus localhost and IPv6 nameservers (unreachable from there),
 * with Google's resolvers when none is left, as docker does. `--dns`, `--dns-search` and
 * `--dns-option` rebuild the file from those values (host values filling the ones not given).
 */
export function resolvConfContent(input: {
  network: 'none' | 'host';
  hostResolvConf: string;
  /** Nameservers replacing the host's (a user network's DNS server). */
  resolvers?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}): string {
  const custom = (input.dns?.length ?? 0) > 0 || (input.dnsSearch?.length ?? 0) > 0 || (input.dnsOptions?.length ?? 0) > 0;
  if (input.network === 'host' && !custom) return input.hostResolvConf;
  const lines = input.hostResolvConf.split('\n');
  let kept = input.network === 'host' ? lines : lines.filter((l) => !LOCALHOST_NS.test(l) && !IPV6_NS.test(l));
  if ((input.resolvers?.length ?? 0) > 0) {
    kept = [...input.resolvers!.map((r) => `nameserver ${r}`), ...kept.filter((l) => !/^\s*nameserver\s/.test(l))];
  }
  if (custom) {
    const nameservers = input.dns?.length ? input.dns : field(kept, 'nameserver');
    const search = input.dnsSearch?.length ? input.dnsSearch.filter((s) => s !== '.') : field(kept, 'search');
    const options = input.dnsOptions?.length ? input.dnsOptions : field(kept, 'options');
    let out = '';
    if (search.length > 0) out += `search ${search.join(' ')}\n`;
    for (const ns of nameservers) out += `nameserver ${ns}\n`;
    if (options.length > 0) out += `options ${options.join(' ')}\n`;
    return out;
  }
  let text = kept.join('\n');
  if (field(kept, 'nameserver').length === 0) text += '\n' + DEFAULT_DNS.join('\n');
  return text;
}
