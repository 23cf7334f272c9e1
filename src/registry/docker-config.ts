/**
 * Credentials in docker's own file, `$DOCKER_CONFIG/config.json` (default
 * `~/.docker/config.json`), so `docker login` and `strata login` share them:
 *   - `auths[<server>].auth` is base64 `user:password`; `identitytoken` a refresh token;
 *   - `credHelpers[<server>]` names a `docker-credential-*` helper for one server;
 *   - `credsStore` names the helper for every other server (docker then keeps an empty
 *     `auths[<server>]` entry as a marker).
 * Fields strata does not know are kept as they are when the file is rewritten.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fromSystemError, invalidArgument } from '../errdefs/index.ts';
import { writeFileAtomic } from '../internal/index.ts';
import { helperErase, helperGet, helperStore } from './credential-helper.ts';
import { convertToHostname, DOCKER_HUB_AUTH_KEY } from './registry-hosts.ts';

export interface Credentials {
  username: string;
  /** Password or personal access token; empty when only an identity token is known. */
  password: string;
  /** An OAuth2 refresh token a token server gave at login (Docker Hub's `identitytoken`). */
  identityToken?: string;
}

type ConfigDoc = Record<string, unknown> & {
  auths?: Record<string, Record<string, unknown>>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
};

/** Where docker keeps its config: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker');
  return join(dir, 'config.json');
}

export class DockerConfig {
  constructor(readonly path: string = dockerConfigPath()) {}

  private read(): ConfigDoc {
    if (!existsSync(this.path)) return {};
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw fromSystemError(err, `read ${this.path}`);
    }
    if (text.trim() === '') return {};
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw invalidArgument(`loading config file: ${this.path}: ${(err as Error).message}`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidArgument(`loading config file: ${this.path}: not a JSON object`);
    const obj = doc as ConfigDoc;
    if (obj.auths !== undefined && (typeof obj.auths !== 'object' || obj.auths === null)) {
      throw invalidArgument(`loading config file: ${this.path}: field "auths" must be an object`);
    }
    return obj;
  }

  private write(doc: ConfigDoc): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fromSystemError(err, `create ${dirname(this.path)}`);
    }
    writeFileAtomic(this.path, `${JSON.stringify(doc, null, '\t')}\n`, { mode: 0o600 });
  }

  /** The helper that holds credentials for `serverKey`, if one is configured. */
  helperFor(serverKey: string): string | undefined {
    const doc = this.read();
    const specific = doc.credHelpers?.[serverKey] ?? doc.credHelpers?.[convertToHostname(serverKey)];
    if (typeof specific === 'string' && specific !== '') return specific;
    return typeof doc.credsStore === 'string' && doc.credsStore !== '' ? doc.credsStore : undefined;
  }

  /**
   * Credentials for a registry, looked up as docker does: the exact key, then any key that
   * names the same host (`https://host/v1/` style legacy keys).
   * @throws invalid-argument for a malformed `auth` value; unavailable when a helper fails
   */
  async get(serverKey: string): Promise<Credentials | undefined> {
    const helper = this.helperFor(serverKey);
    if (helper !== undefined) {
      const found = await helperGet(helper, serverKey);
      if (!found) return undefined;
      return found.username === '<token>' ? { username: '', password: '', identityToken: found.secret } : { username: found.username, password: found.secret };
    }
    const auths = this.read().auths ?? {};
    let entry = auths[serverKey];
    if (entry === undefined && serverKey !== DOCKER_HUB_AUTH_KEY) {
      const host = convertToHostname(serverKey);
      const key = Object.keys(auths).find((k) => convertToHostname(k) === host);
      entry = key === undefined ? undefined : auths[key];
    }
    if (entry === undefined) return undefined;
    return decodeEntry(entry, serverKey, this.path);
  }

  /** Stores credentials for `serverKey` (in its helper when one is configured). */
  async store(serverKey: string, creds: Credentials): Promise<void> {
    const helper = this.helperFor(serverKey);
    const doc = this.read();
    const auths = { ...(doc.auths ?? {}) };
    if (helper !== undefined) {
      const secret = creds.identityToken ?? creds.password;
      await helperStore(helper, serverKey, { username: creds.identityToken ? '<token>' : creds.username, secret });
      auths[serverKey] = {};
    } else {
      const entry: Record<string, unknown> = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
      if (creds.identityToken) entry['identitytoken'] = creds.identityToken;
      auths[serverKey] = entry;
    }
    this.write({ ...doc, auths });
  }

  /** Removes stored credentials; false when there were none. */
  async erase(serverKey: string): Promise<boolean> {
    const doc = this.read();
    const auths = { ...(doc.auths ?? {}) };
    const keys = Object.keys(auths).filter((k) => k === serverKey || (serverKey !== DOCKER_HUB_AUTH_KEY && convertToHostname(k) === convertToHostname(serverKey)));
    const helper = this.helperFor(serverKey);
    let had = keys.length > 0;
    if (helper !== undefined) {
      if (!had) had = (await helperGet(helper, serverKey)) !== undefined;
      await helperErase(helper, serverKey);
    }
    if (keys.length > 0) {
      for (const k of keys) delete auths[k];
      this.write({ ...doc, auths });
    }
    return had;
  }

  /** Where plain-text credentials end up: the file, or undefined when a helper stores them. */
  plainTextFile(serverKey: string): string | undefined {
    return this.helperFor(serverKey) === undefined ? this.path : undefined;
  }
}

function decodeEntry(entry: Record<string, unknown>, serverKey: string, path: string): Credentials | undefined {
  const identityToken = typeof entry['identitytoken'] === 'string' && entry['identitytoken'] !== '' ? entry['identitytoken'] : undefined;
  let username = typeof entry['username'] === 'string' ? entry['username'] : '';
  let password = typeof entry['password'] === 'string' ? entry['password'] : '';
  const auth = entry['auth'];
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw invalidArgument(`${path}: auths["${serverKey}"].auth: invalid auth configuration file`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (username === '' && password === '' && identityToken === undefined) return undefined;
  return { username, password, ...(identityToken ? { identityToken } : {}) };
}
