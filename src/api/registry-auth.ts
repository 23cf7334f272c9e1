/**
 * Registry credentials as docker clients send them: `X-Registry-Auth` (base64url JSON of
 * one AuthConfig) for pull and push, `X-Registry-Config` (a map of them by server) for
 * build. Like dockerd, the service uses only what the client sends, never a config.json of
 * its own.
 */
import { invalidArgument } from '../errdefs/index.ts';
import { loadRegistrySettings, Registries, type Credentials } from '../registry/index.ts';

interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
}

function decodeHeader<T>(value: string | undefined, header: string): T | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as T;
  } catch {
    throw invalidArgument(`invalid ${header} header: not base64-encoded JSON`);
  }
}

function credentialsOf(auth: AuthConfig): Credentials | undefined {
  let { username = '', password = '' } = auth;
  if (username === '' && auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  if (username === '' && password === '' && !auth.identitytoken) return undefined;
  return { username, password, ...(auth.identitytoken ? { identityToken: auth.identitytoken } : {}) };
}

/** `X-Registry-Auth`: the credentials for the one registry a pull or push talks to. */
export function registryAuth(header: string | undefined): Credentials | undefined {
  const auth = decodeHeader<AuthConfig>(header, 'X-Registry-Auth');
  return auth === undefined || typeof auth !== 'object' || auth === null ? undefined : credentialsOf(auth);
}

/** `X-Registry-Config`: credentials by server address (build's base images). */
export function registryConfig(header: string | undefined): Map<string, Credentials> {
  const doc = decodeHeader<Record<string, AuthConfig>>(header, 'X-Registry-Config');
  const out = new Map<string, Credentials>();
  if (doc === undefined || typeof doc !== 'object' || doc === null) return out;
  for (const [server, auth] of Object.entries(doc)) {
    const creds = typeof auth === 'object' && auth !== null ? credentialsOf(auth) : undefined;
    if (creds !== undefined) out.set(server, creds);
  }
  return out;
}

/** Registry clients for one request, with the credentials it carried. */
export function requestRegistries(credentials: (serverKey: string) => Credentials | undefined): Registries {
  return new Registries({ settings: loadRegistrySettings(), credentials: async (key) => credentials(key) });
}
