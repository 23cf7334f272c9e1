/**
 * The state of one stage while it is dispatched, as BuildKit's dispatchState keeps it: the
 * image config being built, the environment RUN and expansion see (image env, then ARG
 * values, then ENV, later entries winning), the ARGs the stage declared, the layer stack,
 * the history, and the cache key of the filesystem so far.
 */
import type { ContainerDefaults, Digest, HistoryEntry, ImageConfig } from '../../oci/index.ts';
import type { DeclaredArg } from '../dockerfile/index.ts';
import { defaultShell } from '../dockerfile/index.ts';

export interface LayerRef {
  chainId: Digest;
  diffId: Digest;
  size: number;
  tarSize: number;
}

/** A history entry with the time of the layer it made (new entries get their time at export). */
export interface HistoryItem {
  entry: HistoryEntry;
  /** ms since the epoch for a new layer entry (the layer's creation, cached or not). */
  createdMs?: number;
  /** Part of the base image (its times are kept as they are). */
  inherited: boolean;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The fields of an image's `config` that BuildKit keeps (OCI's, plus docker's Healthcheck, ArgsEscaped, OnBuild, Shell). */
const CONFIG_FIELDS = [
  'User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'ArgsEscaped', 'Healthcheck', 'OnBuild', 'Shell',
] as const;

export class StageState {
  config: ImageConfig;
  /** The environment for expansion and RUN, in insertion order (llb state env). */
  env: Map<string, string>;
  declaredArgs: DeclaredArg[];
  layers: LayerRef[];
  history: HistoryItem[];
  /** Cache key of the filesystem state (the last step that made a layer, or the base). */
  key: string;
  /** Whether a step of this stage (or its base) ran instead of coming from the cache. */
  rebuilt: boolean;
  /** CMD was set in this stage (an ENTRYPOINT then keeps it). */
  cmdSet = false;

  constructor(init: { config: ImageConfig; env: Map<string, string>; declaredArgs: DeclaredArg[]; layers: LayerRef[]; history: HistoryItem[]; key: string; rebuilt: boolean }) {
    this.config = init.config;
    this.env = init.env;
    this.declaredArgs = init.declaredArgs;
    this.layers = init.layers;
    this.history = init.history;
    this.key = init.key;
    this.rebuilt = init.rebuilt;
  }

  /** A state for a stage built on an image config (stored image or scratch). */
  static fromImage(config: ImageConfig, layers: LayerRef[], key: string): StageState {
    const copy = structuredClone(config);
    delete copy.created;
    // BuildKit's image type has no place for docker's legacy fields: they are not inherited.
    for (const legacy of ['parent', 'comment', 'container', 'container_config', 'docker_version'] as const) delete copy[legacy];
    const kept: ContainerDefaults = {};
    for (const field of CONFIG_FIELDS) {
      const value = copy.config?.[field];
      if (value !== undefined && value !== null) (kept as Record<string, unknown>)[field] = value;
    }
    copy.config = kept;
    // BuildKit makes sure PATH is set (except on Windows).
    const env = copy.config.Env ?? [];
    if (copy.os !== 'windows' && !env.some((e) => e.split('=')[0] === 'PATH')) copy.config.Env = [...env, `PATH=${DEFAULT_PATH}`];
    const stateEnv = new Map<string, string>();
    for (const e of copy.config.Env ?? []) {
      const eq = e.indexOf('=');
      stateEnv.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
    }
    // ONBUILD triggers of the base run in this stage; they are not inherited by the result.
    delete copy.config.OnBuild;
    const history: HistoryItem[] = (copy.history ?? []).map((entry) => ({ entry, inherited: true }));
    delete copy.history;
    return new StageState({ config: copy, env: stateEnv, declaredArgs: [], layers: [...layers], history, key, rebuilt: false });
  }

  /** A copy for a stage that is built FROM this one (ONBUILD instructions of it are not carried). */
  clone(): StageState {
    const s = new StageState({
      config: structuredClone(this.config),
      env: new Map(this.env),
      declaredArgs: [...this.declaredArgs],
      layers: [...this.layers],
      history: this.history.map((h) => ({ ...h, entry: { ...h.entry } })),
      key: this.key,
      rebuilt: this.rebuilt,
    });
    if (s.config.config) delete s.config.config.OnBuild;
    return s;
  }

  get defaults(): ContainerDefaults {
    this.config.config ??= {};
    return this.config.config;
  }

  /** The top of the layer stack, undefined for an empty filesystem. */
  get top(): Digest | undefined {
    return this.layers.at(-1)?.chainId;
  }

  get workdir(): string {
    return this.config.config?.WorkingDir || '/';
  }

  get user(): string {
    return this.config.config?.User ?? '';
  }

  get shell(): string[] {
    const shell = this.config.config?.Shell;
    return shell !== undefined && shell.length > 0 ? [...shell] : defaultShell(this.config.os);
  }

  /** Adds a metadata history entry (no layer). */
  addEmptyHistory(createdBy: string, comment: string): void {
    this.history.push({ entry: { created_by: createdBy, comment, empty_layer: true }, inherited: false });
  }

  /** Adds a layer and its history entry. */
  addLayer(layer: LayerRef, createdBy: string, comment: string, createdMs: number): void {
    this.layers.push(layer);
    this.history.push({ entry: { created_by: createdBy, comment }, createdMs, inherited: false });
  }
}
