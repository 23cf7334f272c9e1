/**
 * What the runtime reads from an image's config (the `config` object of the OCI image
 * config). A structural type: `oci/`'s `ContainerDefaults` and docker's JSON both fit it,
 * and `null` is accepted wherever docker writes `null` for "not set".
 */
export interface ImageRunConfig {
  User?: string | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string | null;
  StopSignal?: string | null;
  Volumes?: Record<string, unknown> | null;
  ExposedPorts?: Record<string, unknown> | null;
  Labels?: Record<string, string> | null;
  Healthcheck?: { Test?: string[] | null } | null;
}
