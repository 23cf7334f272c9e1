/**
 * registry/: the OCI distribution client. `pullImage` and `pushImage` move images between
 * the store and a registry; `login`/`logout` manage docker's config.json credentials;
 * `inspectRemoteManifest` reads a manifest without pulling. One `Registries` object holds
 * the connections, credentials and tokens of a command; `openRegistries` makes it from
 * docker's config and strata's settings (see registry-hosts.ts for where they are read).
 */
export { DockerConfig, dockerConfigPath, type Credentials } from './docker-config.ts';
export { DEFAULT_RETRY, type RetryPolicy, type RetryNotice } from './http-transport.ts';
export { openRegistries, type OpenRegistriesOptions } from './open-registries.ts';
export { measuringSink, type LayerSink, type LayerSinkFactory, type LayerSinkInfo } from './layer-sink.ts';
export type { ProgressEvent, ProgressListener } from './progress.ts';
export { pullImage, selectPlatformManifest, type PullOptions, type PullResult, type PulledImage, type PullTarget } from './pull.ts';
export { pushImage, type PushOptions, type PushResult, type PushTarget, type PushedTag } from './push.ts';
export { Registries, RegistryClient, type CredentialSource, type RegistryOptions } from './registry-client.ts';
export { RegistryResponseError } from './registry-errors.ts';
export {
  authConfigKey, DOCKER_HUB_AUTH_KEY, isInsecureRegistry, loadRegistrySettings, registryHost, serverAddressKey, type RegistrySettings,
} from './registry-hosts.ts';
export { Repository } from './repository.ts';
