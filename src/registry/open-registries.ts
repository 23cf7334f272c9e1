/** The registry clients of one command, reading docker's config.json and strata's settings. */
import { DockerConfig } from './docker-config.ts';
import type { RetryPolicy } from './http-transport.ts';
import { Registries, type RegistryOptions } from './registry-client.ts';
import { loadRegistrySettings, type RegistrySettings } from './registry-hosts.ts';

export interface OpenRegistriesOptions {
  /** docker's config.json to read credentials from; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfig?: DockerConfig;
  settings?: RegistrySettings;
  retry?: RetryPolicy;
  onRetry?: RegistryOptions['onRetry'];
  userAgent?: string;
}

/**
 * Clients for every registry a command talks to, sharing connections and tokens; close
 * them when the command ends.
 * @throws invalid-argument when strata's daemon.json is malformed
 */
export function openRegistries(options: OpenRegistriesOptions = {}): Registries {
  const config = options.dockerConfig ?? new DockerConfig();
  return new Registries({
    settings: options.settings ?? loadRegistrySettings(),
    credentials: (key) => config.get(key),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
}
