// Shared by the network end-to-end tests: a store with a busybox image that serves
// /www/index.html, the default network moved to a test subnet and bridge (a daemon.json
// named by STRATA_DAEMON_CONFIG), HTTP requests to loopback, the host's own address and
// the test's containers only, and a check that the host's networking (nft ruleset, links,
// addresses) is as it was once the file's containers are gone, even when a test failed.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { busyboxTree, removeAll, strata, strataOk } from './containers-fixture.ts';

export const WEB = 'ntest/web:1';
export const PAGE = 'hello from the container\n';

/** Whether netavark and the tools the tests use are here. */
export function canRunNetworks(): boolean {
  return process.getuid?.() === 0 && spawnSync('runc', ['--version']).status === 0
    && spawnSync('/usr/lib/podman/netavark', ['--version']).status === 0 && spawnSync('nft', ['--version']).status === 0;
}

interface HostNetwork {
  ruleset: string;
  links: string;
  addresses: string;
}

/** What a test must leave as it found it (link counters and ifindex-free). */
export function hostNetwork(): HostNetwork {
  const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
  const links = run('ip', ['-o', 'link']).split('\n').map((l) => l.replace(/^\d+: /, '').replace(/ qlen \d+/, '')).sort().join('\n');
  const addresses = run('ip', ['-o', 'addr']).split('\n').map((l) => l.replace(/^\d+: /, '').replace(/valid_lft \S+ preferred_lft \S+/, '')).sort().join('\n');
  return { ruleset: run('nft', ['list', 'ruleset']), links, addresses };
}

/**
 * A store for one test file, with the default network on `subnet` (bridge `bridge`).
 * After the file: every container removed, then the host's networking compared with before.
 */
export function networkStore(options: { bip: string; bridge: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-net-'));
  const root = join(dir, 'store');
  const config = join(dir, 'daemon.json');
  writeFileSync(config, JSON.stringify({ bip: options.bip, bridge: options.bridge }));
  let snapshot: HostNetwork | undefined;
  // Set when this suite starts: another suite of the file has its own.
  before(() => {
    process.env['STRATA_DAEMON_CONFIG'] = config;
    snapshot = hostNetwork();
  });
  after(() => {
    // Should the clean-up fail, the store stays: its containers' network files are what
    // tears their networks down.
    removeAll(root);
    const left = strataOk(root, ['ps', '-aq']).trim();
    if (left !== '') throw new Error(`containers left in ${root} (kept, with their networks): ${left}`);
    for (const id of strataOk(root, ['network', 'ls', '-q', '--filter', 'type=custom']).split('\n').filter(Boolean)) strata(root, ['network', 'rm', id]);
    rmSync(dir, { recursive: true, force: true });
    const now = hostNetwork();
    assert.equal(now.ruleset, snapshot!.ruleset, 'the nft ruleset is as before');
    assert.equal(now.links, snapshot!.links, 'the links are as before');
    assert.equal(now.addresses, snapshot!.addresses, 'the addresses are as before');
  });
  const tree = busyboxTree(dir);
  mkdirSync(join(tree, 'www'));
  writeFileSync(join(tree, 'www', 'index.html'), PAGE);
  const tar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
  strataOk(root, ['import', '-c', 'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]', '-c', 'EXPOSE 80', tar, WEB]);
  return root;
}

/** The host's first non-loopback IPv4 address (traffic to it stays on this machine). */
export function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** A TCP port free on every address now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Listens on `port` (all addresses) until closed: a port some other process holds. */
export function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '0.0.0.0', () => resolve(s));
  });
}

/** GET http://host:port/ with Node's HTTP client; the body, or undefined when nothing answers. */
export function httpGet(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Polls `httpGet` until the page answers (the server in the container is starting). */
export async function pageAt(host: string, port: number, attempts = 100): Promise<string | undefined> {
  for (let i = 0; i < attempts; i++) {
    const body = await httpGet(host, port);
    if (body !== undefined) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

export function inspectField(root: string, ref: string, template: string): string {
  return strataOk(root, ['inspect', '--format', template, ref]).trim();
}
