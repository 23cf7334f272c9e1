/**
 * Where a registry named in a reference lives and how to talk to it: `docker.io` is served
 * by `registry-1.docker.io`; a host is spoken to over HTTPS, except that hosts docker treats
 * as insecure (localhost, 127.0.0.0/8, ::1 and the configured `insecure-registries`) are
 * tried over HTTPS without certificate checks first and then over plain HTTP, as docker does.
 *
 * Settings strata reads (docker's names, so an existing docker setup works unchanged):
 *   - `insecure-registries` from `/etc/strata/daemon.json`, or when that file does not
 *     exist from `/etc/docker/daemon.json`: host[:port] names or CIDR ranges;
 *   - `STRATA_INSECURE_REGISTRIES`: more of the same, comma-separated;
 *   - TLS material per host from `/etc/strata/certs.d/<host[:port]>/` and
 *     `/etc/docker/certs.d/<host[:port]>/` (`*.crt` CAs, `*.cert` + `*.key` client pairs);
 *     `STRATA_CERTS_D` (colon-separated directories) replaces that search path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { invalidArgument } from '../errdefs/index.ts';
import { DEFAULT_DOMAIN } from '../oci/index.ts';

/** The host that serves Docker Hub's registry API. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
/** The key under which docker stores Docker Hub credentials in config.json. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export const DEFAULT_DAEMON_CONFIGS = ['/etc/strata/daemon.json', '/etc/docker/daemon.json'];
export const DEFAULT_CERTS_DIRS = ['/etc/strata/certs.d', '/etc/docker/certs.d'];

export interface RegistrySettings {
  /** Extra insecure registries (host[:port] or CIDR), on top of localhost and 127.0.0.0/8. */
  insecureRegistries: string[];
  /** Directories holding `<host>/` folders of TLS material. */
  certsDirs: string[];
}

/**
 * Reads the settings from the environment and the first daemon.json that exists.
 * @throws invalid-argument when that file is not valid JSON or its list is malformed
 */
export function loadRegistrySettings(env: NodeJS.ProcessEnv = process.env, daemonConfigs = DEFAULT_DAEMON_CONFIGS): RegistrySettings {
  const insecure: string[] = [];
  const file = daemonConfigs.find((p) => existsSync(p));
  if (file !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw invalidArgument(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    const list = (doc as Record<string, unknown> | null)?.['insecure-registries'];
    if (list !== undefined) {
      if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
        throw invalidArgument(`${file}: field "insecure-registries" must be an array of strings`);
      }
      insecure.push(...(list as string[]));
    }
  }
  const fromEnv = env['STRATA_INSECURE_REGISTRIES'];
  if (fromEnv) insecure.push(...fromEnv.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  const certsEnv = env['STRATA_CERTS_D'];
  const certsDirs = certsEnv ? certsEnv.split(':').filter((s) => s !== '') : DEFAULT_CERTS_DIRS;
  return { insecureRegistries: insecure.map(normaliseInsecureEntry), certsDirs };
}

function normaliseInsecureEntry(entry: string): string {
  // docker accepts "http://host:port" in the list and strips the scheme.
  return entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/** The host[:port] that serves the registry a reference's domain names. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === 'index.docker.io' ? DOCKER_HUB_REGISTRY : domain;
}

/** The key credentials for `domain` are stored under in docker's config.json. */
export function authConfigKey(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === 'index.docker.io' || domain === DOCKER_HUB_REGISTRY ? DOCKER_HUB_AUTH_KEY : domain;
}

/**
 * Normalises what a user gives `login`/`logout` (`https://host:5000/`, `host:5000`, nothing)
 * to the config.json key, as docker does.
 */
export function serverAddressKey(server: string | undefined): string {
  if (server === undefined || server === '' || server === 'docker.io' || server === DOCKER_HUB_AUTH_KEY) return DOCKER_HUB_AUTH_KEY;
  const host = convertToHostname(server);
  return authConfigKey(host);
}

/** `https://host:5000/v2/` → `host:5000`: how docker matches legacy config keys. */
export function convertToHostname(maybeUrl: string): string {
  let stripped = maybeUrl;
  const m = /^(https?):\/\//.exec(stripped);
  if (m) stripped = stripped.slice(m[0].length);
  const slash = stripped.indexOf('/');
  return slash === -1 ? stripped : stripped.slice(0, slash);
}

function splitHostPort(hostPort: string): { host: string; port?: string } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    return { host: hostPort.slice(1, end), ...(hostPort[end + 1] === ':' ? { port: hostPort.slice(end + 2) } : {}) };
  }
  const colon = hostPort.lastIndexOf(':');
  if (colon === -1 || hostPort.indexOf(':') !== colon) return { host: hostPort };
  return { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  if (base === undefined || bitsText === undefined || isIP(base) !== 4 || isIP(ip) !== 4) return false;
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(base) & mask);
}

/**
 * True when docker would allow plain HTTP and unverified TLS for `hostPort`: loopback names
 * and addresses, and anything listed (by host[:port] or CIDR) in the settings.
 */
export function isInsecureRegistry(hostPort: string, settings: RegistrySettings): boolean {
  const { host } = splitHostPort(hostPort);
  if (host === 'localhost' || host === '::1' || (isIP(host) === 4 && inCidr(host, '127.0.0.0/8'))) return true;
  for (const entry of settings.insecureRegistries) {
    if (entry === hostPort || entry === host) return true;
    if (entry.includes('/') && inCidr(host, entry)) return true;
  }
  return false;
}
