/**
 * `rmi` and `image prune`, with docker's rules for what a name or an ID removes, its
 * conflict messages, and its output records (`Untagged: …`, `Deleted: …`). Unreferenced
 * layers and blobs go through the one garbage collector. Which containers use an image comes
 * through a port (ImageUsers), so images/ knows nothing of containers/; the engine wires it.
 * Loaded on demand (not re-exported by index.ts), so listing images never loads it.
 */
import { failedPrecondition } from '../errdefs/index.ts';
import {
  familiarString, formatReference, matchesLabelFilters, parseReference, parseTimestampFilter, shortId, withDefaultTag, type Digest, type Reference,
} from '../oci/index.ts';
import type { ImageStore } from './image-store.ts';
import { listImages } from './list.ts';

export interface DeleteRecord {
  untagged?: string;
  deleted?: string;
}

export interface ContainerUse {
  id: string;
  running: boolean;
}

/** Which containers use an image, and whether each runs (for docker's conflict rules). */
export type ImageUsers = (imageId: Digest) => ContainerUse[];

/** What image removal needs beside the image store. */
export interface ImageRemoverPorts {
  /** Which containers use an image. */
  users: ImageUsers;
  /** The one garbage collection, run after records are removed; reports the layers it removed. */
  collectGarbage: () => { removedLayers: string[] };
}

function conflict(id: string, hard: boolean, message: string): Error {
  return failedPrecondition(`conflict: unable to delete ${shortId(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${message}`);
}

function isIdPrefix(id: string, text: string): boolean {
  const hex = text.startsWith('sha256:') ? text.slice(7) : text;
  return /^[a-f0-9]+$/.test(hex) && id.slice(7).startsWith(hex);
}

interface Refs {
  tags: string[];
  digests: string[];
}

function refsOf(store: ImageStore, id: string): Refs {
  return { tags: store.records.tagsOf(id).map((t) => t.name), digests: store.records.repoDigestsOf(id) };
}

function repoOf(fullName: string): string {
  const ref = parseReference(fullName);
  return `${ref.domain}/${ref.path}`;
}

export class ImageRemover {
  private readonly users: ImageUsers;

  constructor(
    private readonly store: ImageStore,
    private readonly ports: ImageRemoverPorts,
  ) {
    this.users = ports.users;
  }

  /**
   * Removes what `refOrId` names, as `docker rmi` does.
   * @throws not-found, failed-precondition (docker's conflict messages)
   */
  remove(refOrId: string, options: { force?: boolean; prune?: boolean } = {}): DeleteRecord[] {
    const force = options.force ?? false;
    const prune = options.prune ?? true;
    const records: DeleteRecord[] = [];
    const id = this.store.resolve(refOrId);
    const removedLayers: string[] = [];
    this.store.batch(() => {
      let refs = refsOf(this.store, id);
      const using = this.users(id);
      let removedRepositoryRef = false;
      if (!isIdPrefix(id, refOrId)) {
        const ref = withDefaultTag(parseReference(refOrId));
        if (using.length > 0 && !force && refs.tags.length + refs.digests.length === 1) {
          throw failedPrecondition(`conflict: unable to remove repository reference "${familiarString(ref)}" (must force) - container ${shortId(using[0]?.id ?? '')} is using its referenced image ${shortId(id)}`);
        }
        const name = formatReference(ref);
        if (ref.digest !== undefined && ref.tag === undefined) this.store.records.removeRepoDigest(name);
        else this.store.records.untag(name);
        records.push({ untagged: familiarString(ref) });
        refs = refsOf(this.store, id);
        if (ref.digest === undefined) {
          const repo = repoOf(name);
          if (!refs.tags.some((t) => repoOf(t) === repo)) {
            for (const d of refs.digests.filter((x) => repoOf(x) === repo)) {
              this.store.records.removeRepoDigest(d);
              records.push({ untagged: familiarString(parseReference(d)) });
            }
            refs = refsOf(this.store, id);
          }
        }
        if (refs.tags.length + refs.digests.length > 0) {
          // Only a name went: index.json must not list it any more.
          this.store.refreshIndex();
          return;
        }
        removedRepositoryRef = true;
      } else if (isSingleReference(refs)) {
        this.checkConflicts(id, { hard: true, soft: !force, activeReference: false });
        for (const name of [...refs.tags, ...refs.digests]) {
          if (refs.tags.includes(name)) this.store.records.untag(name);
          else this.store.records.removeRepoDigest(name);
          records.push({ untagged: familiarString(parseReference(name)) });
        }
      }
      this.deleteHelper(id, records, { force, prune, quiet: removedRepositoryRef });
      this.store.refreshIndex();
    });
    // Layers and blobs nobody uses any more.
    const swept = this.ports.collectGarbage();
    removedLayers.push(...swept.removedLayers);
    for (const chainId of removedLayers) records.push({ deleted: chainId });
    return records;
  }

  private checkConflicts(id: Digest, mask: { hard: boolean; soft: boolean; activeReference: boolean }): { used: boolean } | undefined {
    const using = this.users(id);
    if (mask.hard) {
      if (this.store.records.children(id).length > 0) throw conflict(id, true, 'image has dependent child images');
      const running = using.find((c) => c.running);
      if (running) throw conflict(id, true, `image is being used by running container ${shortId(running.id)}`);
    }
    if (mask.soft) {
      const refs = refsOf(this.store, id);
      if (mask.activeReference && refs.tags.length + refs.digests.length > 0) throw conflict(id, false, 'image is referenced in multiple repositories');
      const stopped = using.find((c) => !c.running);
      if (stopped) throw conflict(id, false, `image is being used by stopped container ${shortId(stopped.id)}`);
    }
    return undefined;
  }

  private deleteHelper(id: Digest, records: DeleteRecord[], options: { force: boolean; prune: boolean; quiet: boolean }): void {
    try {
      this.checkConflicts(id, { hard: true, soft: !options.force, activeReference: !options.force });
    } catch (err) {
      const refs = refsOf(this.store, id);
      const dangling = refs.tags.length + refs.digests.length === 0 && this.store.records.children(id).length === 0;
      if (options.quiet && (!dangling || this.users(id).length > 0)) return;
      throw err;
    }
    const parent = this.store.get(id)?.parent ?? '';
    const refs = refsOf(this.store, id);
    for (const name of refs.tags) {
      this.store.records.untag(name);
      records.push({ untagged: familiarString(parseReference(name)) });
    }
    for (const name of refs.digests) {
      this.store.records.removeRepoDigest(name);
      records.push({ untagged: familiarString(parseReference(name)) });
    }
    this.store.records.delete(id);
    records.push({ deleted: id });
    if (!options.prune || parent === '' || !this.store.get(parent)) return;
    this.deleteHelper(parent as Digest, records, { force: false, prune: true, quiet: true });
  }

  /**
   * `image prune`: dangling images (or, with `all`, every image no container uses),
   * filtered by `until` and `label`. Returns the records and the bytes reclaimed.
   */
  prune(options: { all?: boolean; filters?: Map<string, string[]> } = {}): { records: DeleteRecord[]; spaceReclaimed: number } {
    const filters = options.filters ?? new Map<string, string[]>();
    let all = options.all ?? false;
    for (const v of filters.get('dangling') ?? []) {
      if (v === 'false' || v === '0') all = true;
    }
    const until = (filters.get('until') ?? []).map((v) => parseTimestampFilter(v));
    const candidates = listImages(this.store, { all: true })
      .filter((s) => (all ? true : this.store.records.children(s.Id).length === 0))
      .filter((s) => this.users(s.Id as Digest).length === 0)
      .filter((s) => until.every((u) => s.Created * 1000 < u))
      .filter((s) => matchesLabelFilters(filters, s.Labels));
    const records: DeleteRecord[] = [];
    const layerSizes = new Map(this.store.layers.all().map((l) => [l.chainId, l.size]));
    for (const image of candidates) {
      if (!this.store.get(image.Id)) continue;
      const refs = refsOf(this.store, image.Id);
      try {
        if (refs.tags.length + refs.digests.length > 0) {
          if (!all && refs.tags.length > 0) continue;
          for (const name of [...refs.tags, ...refs.digests]) {
            if (!this.store.get(image.Id)) break;
            records.push(...this.remove(name, { force: false, prune: true }));
          }
        } else {
          records.push(...this.remove(image.Id, { force: false, prune: true }));
        }
      } catch {
        // An image that became busy or gained a child meanwhile is skipped, as docker does.
      }
    }
    let spaceReclaimed = 0;
    for (const r of records) if (r.deleted) spaceReclaimed += layerSizes.get(r.deleted) ?? 0;
    return { records, spaceReclaimed };
  }
}

/** docker's "at most one tag, and all references in one repository". */
function isSingleReference(refs: Refs): boolean {
  if (refs.tags.length > 1) return false;
  const repos = new Set([...refs.tags, ...refs.digests].map(repoOf));
  return repos.size <= 1;
}

export type { Reference };
