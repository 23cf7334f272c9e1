/**
 * A token server in Docker Hub's manner, for a docker-registry configured with
 * `auth: token`: the registry answers 401 with `Bearer realm=…,service=…,scope=…`; the
 * client GETs `realm?service=…&scope=repository:x:pull,push` (with Basic credentials, or
 * none for anonymous pulls) and gets `{"token": <JWT>, "expires_in": …}`. Tokens are RS256
 * JWTs whose header carries the signing certificate (`x5c`), which the registry checks
 * against the bundle the config names.
 */
import { execFileSync } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import { tempDir } from './temp-dir.ts';

export interface TokenRequest {
  scopes: string[];
  account?: string;
  /** `alice`, or undefined for an anonymous request. */
  user?: string;
  granted: string[];
}

export interface TokenServerOptions {
  users: Record<string, string>;
  /** Repositories anyone may pull without credentials (Docker Hub's public images). */
  publicRepositories?: string[];
  /** Token lifetime in seconds (`expires_in`). */
  expiresIn?: number;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export class TokenServer {
  readonly service = 'strata-test-registry';
  readonly issuer = 'strata-test-issuer';
  readonly requests: TokenRequest[] = [];
  private server: Server | undefined;
  private readonly key: string;
  private readonly certDer: string;
  readonly certPath: string;
  port = 0;
  expiresIn: number;

  constructor(private readonly options: TokenServerOptions) {
    const dir = tempDir('strata-token-');
    const keyPath = join(dir, 'key.pem');
    this.certPath = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', this.certPath, '-days', '2', '-subj', '/CN=strata-token'], { stdio: 'pipe' });
    this.key = readFileSync(keyPath, 'utf8');
    this.certDer = new X509Certificate(readFileSync(this.certPath)).raw.toString('base64');
    this.expiresIn = options.expiresIn ?? 300;
  }

  get realm(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  /** The `auth: token:` settings for the registry. */
  get registryAuth(): { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string } {
    return { kind: 'token', realm: this.realm, service: this.service, issuer: this.issuer, rootCertBundle: this.certPath };
  }

  private sign(claims: Record<string, unknown>): string {
    const header = { typ: 'JWT', alg: 'RS256', x5c: [this.certDer] };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(this.key);
    return `${input}.${b64url(signature)}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/token') {
        res.writeHead(404).end();
        return;
      }
      let user: string | undefined;
      const auth = req.headers.authorization;
      if (auth?.startsWith('Basic ')) {
        const [name, password] = Buffer.from(auth.slice(6), 'base64').toString().split(/:(.*)/s) as [string, string];
        if (this.options.users[name] !== password) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
          this.requests.push({ scopes: url.searchParams.getAll('scope'), granted: [] });
          return;
        }
        user = name;
      }
      const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
      const access: { type: string; name: string; actions: string[] }[] = [];
      for (const scope of scopes) {
        const [type, name, actions] = scope.split(':') as [string, string, string];
        const wanted = (actions ?? '').split(',');
        const allowed = wanted.filter((a) => (user !== undefined ? a === 'pull' || a === 'push' : a === 'pull' && (this.options.publicRepositories ?? []).includes(name)));
        if (allowed.length > 0) access.push({ type, name, actions: allowed });
      }
      this.requests.push({
        scopes, ...(user ? { user } : {}), ...(url.searchParams.get('account') ? { account: url.searchParams.get('account') as string } : {}),
        granted: access.map((a) => `${a.name}:${a.actions.join(',')}`),
      });
      const now = Math.floor(Date.now() / 1000);
      const token = this.sign({
        iss: this.issuer, sub: user ?? '', aud: url.searchParams.get('service') ?? '', exp: now + this.expiresIn, nbf: now - 5, iat: now,
        jti: randomBytes(8).toString('hex'), access,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: this.expiresIn, issued_at: new Date().toISOString() }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    after(() => this.close());
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const server = new TokenServer(options);
  await server.start();
  return server;
}
