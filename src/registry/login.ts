/**
 * `login` and `logout`: credentials checked against the registry and kept in docker's
 * config.json (or the credential helper it names), under docker's keys.
 */
import type { Credentials, DockerConfig } from './docker-config.ts';
import type { Registries } from './registry-client.ts';
import { DOCKER_HUB_AUTH_KEY } from './registry-hosts.ts';

/** The reference domain for a config key: Docker Hub's key means `docker.io`. */
export function domainForServerKey(serverKey: string): string {
  return serverKey === DOCKER_HUB_AUTH_KEY ? 'docker.io' : serverKey;
}

/**
 * Checks `creds` against the registry behind `serverKey`.
 * @throws permission-denied when the registry refuses them, unavailable when it cannot be reached
 */
export async function verifyCredentials(registries: Registries, serverKey: string, creds: Credentials, signal?: AbortSignal): Promise<void> {
  const client = registries.client(domainForServerKey(serverKey));
  client.useCredentials(creds);
  await client.checkLogin(signal);
}

export interface LoginResult {
  /** Where the password was written in plain text (for docker's warning), if it was. */
  plainTextFile?: string;
}

/** Verifies and stores credentials. Nothing is stored when the registry refuses them. */
export async function login(registries: Registries, config: DockerConfig, serverKey: string, creds: Credentials, signal?: AbortSignal): Promise<LoginResult> {
  await verifyCredentials(registries, serverKey, creds, signal);
  await config.store(serverKey, creds);
  const file = config.plainTextFile(serverKey);
  return file !== undefined && creds.password !== '' ? { plainTextFile: file } : {};
}

/** Removes stored credentials; false when none were stored. */
export async function logout(config: DockerConfig, serverKey: string): Promise<boolean> {
  return config.erase(serverKey);
}
