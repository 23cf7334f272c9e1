/**
 * The build cache: a step's key is its parent's key plus everything that affects what the
 * step produces — the expanded instruction, the environment and build args it sees, user,
 * working directory, mounts, network, and for COPY and ADD a content hash of what they copy
 * (names, content, modes, owners; never mtimes). Keys chain, so the cache is reused top-down
 * until the first step whose inputs changed, and everything below it runs.
 *
 * When a step misses, `explain` says why, by comparing its inputs with the results built
 * earlier on the same parent: which file changed, which build arg or env variable, or that
 * the step below it was rebuilt.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { inTransaction, LayerRecords, type BuildCacheRecords, type BuildCacheRow, type Database } from '../../metadata/index.ts';
import type { SourceFile } from '../context/content-hash.ts';

/** What went into a step's key. Plain JSON; objects are built with a fixed key order. */
export interface StepInputs {
  kind: string;
  [field: string]: unknown;
}

/** A step's cache key: 64 hex characters. */
export function stepKey(parentKey: string, inputs: StepInputs): string {
  return createHash('sha256').update(`${parentKey}\n${JSON.stringify(inputs)}`).digest('hex');
}

/** The key of a stage's base: an image (by ID) or scratch (by platform). */
export function baseKey(base: { imageId: string } | { scratch: string }): string {
  return createHash('sha256').update(JSON.stringify(base)).digest('hex');
}

function quote(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Differences between two env lists (`[[key, value], …]`), naming build args as such. */
function envChanges(before: [string, string][], after: [string, string][], args: readonly string[]): string[] {
  const a = new Map(before);
  const b = new Map(after);
  const out: string[] = [];
  const label = (k: string): string => (args.includes(k) ? `build arg ${k}` : `env ${k}`);
  for (const [k, v] of b) {
    const old = a.get(k);
    if (old === undefined) out.push(`${label(k)} was set (${quote(v)})`);
    else if (old !== v) out.push(`${label(k)} changed (${quote(old)} → ${quote(v)})`);
  }
  for (const [k, v] of a) if (!b.has(k)) out.push(`${label(k)} was unset (was ${quote(v)})`);
  return out;
}

function fileChanges(before: SourceFile[] | undefined, after: SourceFile[] | undefined, source: string): string[] {
  if (before === undefined || after === undefined) return [`the files of ${source} changed`];
  const a = new Map(before.map((f) => [f[0], f]));
  const b = new Map(after.map((f) => [f[0], f]));
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const metaChanged: string[] = [];
  for (const [p, f] of b) {
    const old = a.get(p);
    if (old === undefined) added.push(p);
    else if (old[2] !== f[2]) changed.push(p);
    else if (old[1] !== f[1]) metaChanged.push(p);
  }
  for (const p of a.keys()) if (!b.has(p)) removed.push(p);
  const name = (p: string): string => (p === '' ? source : p);
  const list = (paths: string[]): string => {
    const shown = paths.slice(0, 3).map(name).join(', ');
    return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown;
  };
  const out: string[] = [];
  if (changed.length === 1) out.push(`file ${name(changed[0] as string)} changed`);
  else if (changed.length > 1) out.push(`${plural(changed.length, 'file')} changed: ${list(changed)}`);
  if (added.length > 0) out.push(`${added.length === 1 ? 'file' : plural(added.length, 'file')} added: ${list(added)}`);
  if (removed.length > 0) out.push(`${removed.length === 1 ? 'file' : plural(removed.length, 'file')} removed: ${list(removed)}`);
  if (metaChanged.length > 0) out.push(`mode or owner of ${list(metaChanged)} changed`);
  if (out.length === 0) out.push(`the files of ${source} changed`);
  return out;
}

interface SourceInput {
  source: string;
  fileSet?: string;
  [k: string]: unknown;
}

export class StepCache {
  constructor(
    private readonly db: Database,
    private readonly records: BuildCacheRecords,
  ) {}

  lookup(key: string): BuildCacheRow | undefined {
    return this.records.get(key);
  }

  /** Marks a cached result as used now. */
  touch(key: string): void {
    this.records.touch(key, Date.now());
  }

  private fileList(digest: string | undefined): SourceFile[] | undefined {
    if (digest === undefined) return undefined;
    const data = this.records.fileSet(digest);
    if (data === undefined) return undefined;
    try {
      return JSON.parse(gunzipSync(data).toString('utf8')) as SourceFile[];
    } catch {
      return undefined;
    }
  }

  /**
   * Why a step with these inputs has no cached result. `parentRebuilt` is true when a step
   * below it ran in this build.
   */
  explain(parentKey: string, inputs: StepInputs, description: string, parentRebuilt: boolean, current: () => ReadonlyMap<string, SourceFile[]> = () => new Map()): string {
    if (parentRebuilt) return 'the step below it was rebuilt';
    const siblings = this.records.siblings(parentKey).filter((r) => r.kind === inputs.kind);
    const previous = siblings.find((r) => r.description === description) ?? siblings[0];
    if (previous === undefined) {
      const elsewhere = this.records.latestWithDescription(description);
      if (elsewhere !== undefined) return 'its base changed (a new base image, or a different step below it)';
      return 'no earlier build of this step';
    }
    let before: StepInputs;
    try {
      before = JSON.parse(previous.inputs) as StepInputs;
    } catch {
      return 'its inputs changed';
    }
    const reasons = this.diff(before, inputs, current);
    return reasons.length > 0 ? reasons.join('; ') : 'its inputs changed';
  }

  private diff(before: StepInputs, after: StepInputs, current: () => ReadonlyMap<string, SourceFile[]>): string[] {
    const out: string[] = [];
    const args = [...((after['args'] as string[] | undefined) ?? []), ...((before['args'] as string[] | undefined) ?? [])];
    for (const field of Object.keys(after)) {
      const a = before[field];
      const b = after[field];
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      switch (field) {
        case 'args':
          break;
        case 'env':
          out.push(...envChanges((a as [string, string][] | undefined) ?? [], (b as [string, string][] | undefined) ?? [], args));
          break;
        case 'command':
          out.push('the command changed');
          break;
        case 'sources': {
          const oldSources = (a as SourceInput[] | undefined) ?? [];
          const newSources = (b as SourceInput[] | undefined) ?? [];
          if (oldSources.length !== newSources.length || oldSources.some((s, i) => s.source !== newSources[i]?.source)) {
            out.push('the sources changed');
            break;
          }
          newSources.forEach((s, i) => {
            const old = oldSources[i] as SourceInput;
            if (JSON.stringify(old) === JSON.stringify(s)) return;
            if (old.fileSet !== s.fileSet) {
              const now = s.fileSet === undefined ? undefined : current().get(s.fileSet) ?? this.fileList(s.fileSet);
              out.push(...fileChanges(this.fileList(old.fileSet), now, s.source));
            }
            else out.push(`source ${s.source} changed`);
          });
          break;
        }
        default:
          out.push(`${field} changed (${quote(a ?? '')} → ${quote(b ?? '')})`);
      }
    }
    return out;
  }

  /** Records a step's result and its layer in one transaction. */
  record(row: BuildCacheRow, layer: { parent: string | null }, fileSets: { digest: string; data: Buffer }[]): void {
    const layers = new LayerRecords(this.db);
    inTransaction(this.db, () => {
      layers.insert({ chainId: row.chainId, diffId: row.diffId, parent: layer.parent, size: row.size, tarSize: row.tarSize, createdAt: row.createdAt });
      for (const f of fileSets) this.records.putFileSet(f.digest, f.data);
      this.records.put(row);
    });
  }
}
