/**
 * Runs Debian's `docker-registry` (distribution 2.8) for tests: on 127.0.0.1 with a random
 * port, a temporary storage directory and a config file written here — open, behind
 * htpasswd basic auth, or behind a token server (Docker Hub's flow). The process can be
 * killed and started again on the same port and storage, for fault tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import { tempDir } from './temp-dir.ts';

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface RegistryServerOptions {
  auth?: RegistryAuth;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certificate: string; key: string };
  /** Extra top-level config (YAML lines), e.g. a `notifications:` block. */
  extraConfig?: string;
  /** Address to listen on (default 127.0.0.1; TLS tests use a non-loopback one, which docker does not treat as insecure). */
  listenHost?: string;
}

/**
 * A CA and a server certificate for `ip` signed by it (openssl), for TLS tests.
 * Returns the PEM file paths.
 */
/** A CA and a server certificate it signed for `host` (an IP address or a DNS name). */
export function makeTlsCertificates(dir: string, host: string): { ca: string; certificate: string; key: string } {
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certificate = join(dir, 'server.crt');
  const ext = join(dir, 'ext.cnf');
  const run = (args: string[]): void => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=strata-test-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${host}`]);
  writeFileSync(ext, `subjectAltName=${isIP(host) ? 'IP' : 'DNS'}:${host}\n`);
  run(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', certificate, '-days', '2', '-extfile', ext]);
  return { ca, certificate, key };
}

/** A free TCP port on 127.0.0.1 (the port is released before the caller binds it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Writes an htpasswd file with bcrypt entries (htpasswd from apache2-utils, else python3's crypt). */
export function writeHtpasswd(path: string, users: Record<string, string>): void {
  const lines: string[] = [];
  for (const [user, password] of Object.entries(users)) {
    const r = spawnSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8' });
    if (r.status === 0) {
      lines.push(r.stdout.trim());
      continue;
    }
    const py = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', password], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error('neither htpasswd (apache2-utils) nor python3 crypt can make a bcrypt entry');
    lines.push(`${user}:${py.stdout.trim()}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Every registry started here, killed when the test process exits however it exits. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export class RegistryServer {
  private child: ChildProcess | undefined;
  readonly host: string;
  /** Registry log output, for debugging a failing test. */
  log = '';

  constructor(
    readonly port: number,
    readonly storage: string,
    readonly configPath: string,
    readonly scheme: 'http' | 'https',
    readonly listenHost = '127.0.0.1',
  ) {
    this.host = `${listenHost}:${port}`;
  }

  get url(): string {
    return `${this.scheme}://${this.host}`;
  }

  /** Starts the registry and waits until `/v2/` answers. */
  async start(): Promise<void> {
    const child = spawn('docker-registry', ['serve', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    const collect = (c: Buffer): void => {
      this.log = (this.log + c.toString()).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${this.log}`);
      if (await portOpen(this.listenHost, this.port)) return;
      if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: the registry vanishes mid-transfer, as in a crash. */
  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  /** The registry's file for a blob, to corrupt or truncate it in fault tests. */
  blobDataPath(digest: string): string {
    const hex = digest.replace(/^sha256:/, '');
    return join(this.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }
}

async function portOpen(host: string, port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a registry for the current test file; it is stopped when the file's tests end. */
export async function startRegistry(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const dir = tempDir('strata-registry-');
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const listenHost = options.listenHost ?? '127.0.0.1';
  const port = await freePort(listenHost);
  const auth = options.auth ?? { kind: 'none' };
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${listenHost}:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (options.tls) lines.push('  tls:', `    certificate: ${options.tls.certificate}`, `    key: ${options.tls.key}`);
  if (auth.kind === 'htpasswd') {
    const file = join(dir, 'htpasswd');
    writeHtpasswd(file, auth.users);
    lines.push('auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${file}`);
  } else if (auth.kind === 'token') {
    lines.push('auth:', '  token:', `    realm: ${auth.realm}`, `    service: ${auth.service}`, `    issuer: ${auth.issuer}`, `    rootcertbundle: ${auth.rootCertBundle}`);
  }
  if (options.extraConfig) lines.push(options.extraConfig);
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, `${lines.join('\n')}\n`);
  const server = new RegistryServer(port, storage, configPath, options.tls ? 'https' : 'http', listenHost);
  await server.start();
  after(() => server.stop());
  return server;
}
