/**
 * The default network's settings from daemon.json, as docker's daemon reads them: `bip`
 * (the bridge's address and prefix), `bridge` (its Linux name) and `default-address-pools`
 * (where subnets of networks created without `--subnet` come from). strata reads
 * `/etc/strata/daemon.json`, else `/etc/docker/daemon.json`; `STRATA_DAEMON_CONFIG` names
 * another file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { invalidArgument } from '../errdefs/index.ts';
import { parseCidr, type Subnet } from './ipv4.ts';

export interface AddressPool {
  base: Subnet;
  /** The prefix length of each subnet taken from it. */
  size: number;
}

export interface NetworkDefaults {
  /** The default bridge's subnet and gateway, when `bip` sets them. */
  bip?: { subnet: Subnet; gateway: number };
  /** The default bridge's Linux name (`strata0`). */
  bridge: string;
  pools: AddressPool[];
}

/** docker's built-in pools: 172.17–31.0.0/16, then 192.168.0.0/20 … 192.168.240.0/20. */
export const DOCKER_POOLS: AddressPool[] = [
  { base: parseCidr('172.17.0.0/16')!.subnet, size: 16 },
  { base: parseCidr('172.18.0.0/15')!.subnet, size: 16 },
  { base: parseCidr('172.20.0.0/14')!.subnet, size: 16 },
  { base: parseCidr('172.24.0.0/14')!.subnet, size: 16 },
  { base: parseCidr('172.28.0.0/14')!.subnet, size: 16 },
  { base: parseCidr('192.168.0.0/16')!.subnet, size: 20 },
];

export const DEFAULT_BRIDGE = 'strata0';

function configPath(env: NodeJS.ProcessEnv): string | undefined {
  const given = env['STRATA_DAEMON_CONFIG'];
  if (given !== undefined && given !== '') return given;
  return ['/etc/strata/daemon.json', '/etc/docker/daemon.json'].find((p) => existsSync(p));
}

/** @throws invalid-argument naming the file and key when a value is malformed. */
export function loadNetworkDefaults(env: NodeJS.ProcessEnv = process.env): NetworkDefaults {
  const path = configPath(env);
  const defaults: NetworkDefaults = { bridge: DEFAULT_BRIDGE, pools: DOCKER_POOLS };
  if (path === undefined || !existsSync(path)) return defaults;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw invalidArgument(`${path}: ${(err as Error).message}`);
  }
  const bip = doc['bip'];
  if (bip !== undefined) {
    const parsed = typeof bip === 'string' ? parseCidr(bip) : undefined;
    if (parsed === undefined) throw invalidArgument(`${path}: "bip": ${JSON.stringify(bip)} is not an IPv4 address with a prefix (172.17.0.1/16)`);
    defaults.bip = { subnet: parsed.subnet, gateway: parsed.address };
  }
  const bridge = doc['bridge'];
  if (bridge !== undefined) {
    if (typeof bridge !== 'string' || !/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw invalidArgument(`${path}: "bridge": ${JSON.stringify(bridge)} is not an interface name`);
    defaults.bridge = bridge;
  }
  const pools = doc['default-address-pools'];
  if (pools !== undefined) {
    if (!Array.isArray(pools)) throw invalidArgument(`${path}: "default-address-pools" must be a list of {"base": CIDR, "size": N}`);
    defaults.pools = pools.map((p: unknown, i) => {
      const entry = p as { base?: unknown; size?: unknown };
      const base = typeof entry.base === 'string' ? parseCidr(entry.base) : undefined;
      const size = entry.size;
      if (base === undefined || typeof size !== 'number' || !Number.isInteger(size) || size < base.subnet.prefix || size > 30) {
        throw invalidArgument(`${path}: "default-address-pools"[${i}]: ${JSON.stringify(p)} needs an IPv4 "base" CIDR and a "size" between its prefix and 30`);
      }
      return { base: base.subnet, size };
    });
  }
  return defaults;
}
