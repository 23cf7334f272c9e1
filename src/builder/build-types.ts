/**
 * What a build needs from the engine (the Engine satisfies it, plus two functions the caller
 * binds) and what a build is asked to do.
 */
import type { ContentStore } from '../content/index.ts';
import type { ImageStore } from '../images/index.ts';
import type { Database } from '../metadata/index.ts';
import type { Digest, Reference } from '../oci/index.ts';
import type { Snapshotter } from '../snapshots/index.ts';
import type { Progress } from './progress.ts';
import type { ReceivedContext } from './context/received-context.ts';

export interface BuildHost {
  /** The store root: scratch space goes to `<root>/tmp`, cache mounts to `<root>/build`. */
  readonly root: string;
  readonly db: Database;
  readonly content: ContentStore;
  readonly images: ImageStore;
  readonly snapshotter: Snapshotter;
  /** Chain IDs of an image's layers, bottom first, extracting them into snapshots if needed. */
  ensureExtracted(imageId: Digest): Promise<Digest[]>;
  /** Pulls an image (FROM of a missing image, `--pull`) and returns its ID. */
  pull(ref: Reference): Promise<Digest>;
}

/** The build context: a directory, a tarball (on stdin), or none (a Dockerfile on stdin). */
export type ContextInput =
  | { kind: 'dir'; dir: string }
  /** `description` names the tar in errors (default: `on stdin`). */
  | { kind: 'tar'; source: AsyncIterable<Uint8Array>; description?: string }
  /** A tar received before the build (receiveContextTar); the build releases it. */
  | { kind: 'received'; context: ReceivedContext }
  | { kind: 'none' };

/** Where the Dockerfile comes from. */
export type DockerfileInput =
  /** Read already (from a path on disk, or stdin). `path` is where it lives on disk, if it does. */
  | { kind: 'text'; text: Buffer; name: string; path?: string }
  /** A path inside the context (a context from a tarball, read once it is unpacked). */
  | { kind: 'in-context'; path: string };

export interface SecretSource {
  /** A file holding the secret, or */
  file?: string;
  /** an environment variable of the CLI's process holding it. */
  env?: string;
}

export interface BuildOptions {
  context: ContextInput;
  dockerfile: DockerfileInput;
  /** `--build-arg`, in order; a bare `NAME` takes the value from the environment (the CLI resolves that). */
  buildArgs?: ReadonlyMap<string, string>;
  /** `-t`, already parsed and validated. */
  tags?: Reference[];
  /** `--label`, added to the final image's config. */
  labels?: Readonly<Record<string, string>>;
  /** `--target`: the stage to build (default the last). */
  target?: string;
  /** `--no-cache`: run every step. */
  noCache?: boolean;
  /** `--no-cache-filter`: stages (names) whose steps always run. */
  noCacheFilter?: readonly string[];
  /** `--pull`: pull base images even when they are stored. */
  pull?: boolean;
  /** `--network` for RUN: `default` (the default bridge), `host` (when not given) or `none`. */
  network?: 'default' | 'host' | 'none';
  /** `--secret id=…,src=…` by id. */
  secrets?: ReadonlyMap<string, SecretSource>;
  /** `--add-host` entries for RUN's /etc/hosts. */
  extraHosts?: { name: string; ip: string }[];
  /** Seconds since the epoch: history times and layer mtimes are clamped to it (SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number;
  progress: Progress;
  /** Cancels the build (Ctrl-C): running steps are stopped and nothing is recorded. */
  signal?: AbortSignal;
}

/** What each step did, for `-q`-less callers and tests. */
export interface StepReport {
  /** The vertex name: `[builder 2/5] RUN make`. */
  name: string;
  kind: string;
  cached: boolean;
  /** Why it missed the cache, for steps that ran. */
  reason?: string;
  /** From the cache lookup to the layer on the stack. */
  durationMs: number;
}

export interface BuildResult {
  imageId: Digest;
  /** The tags that now name the image, familiar form. */
  tags: string[];
  steps: StepReport[];
  /** BuildKit's build checks that warned, in the Dockerfile's order. */
  warnings: { rule: string; message: string; line: number }[];
}
