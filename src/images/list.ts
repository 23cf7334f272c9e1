/**
 * `images`: image summaries as docker's daemon lists them (GET /images/json), newest
 * first, with its filters and its rule for hiding intermediate images.
 */
import { invalidArgument } from '../errdefs/index.ts';
import { familiarName, familiarString, matchesLabelFilters, parseReference, parseRfc3339, parseTimestampFilter, withDefaultTag, type Digest } from '../oci/index.ts';
import type { ImageStore } from './image-store.ts';

export interface ImageSummary {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[];
  RepoTags: string[];
  SharedSize: number;
  Size: number;
}

export interface ImageListOptions {
  all?: boolean;
  /** docker's filters: name → values (dangling, reference, before, since, label, until). */
  filters?: Map<string, string[]>;
  /** Containers per image ID, when the caller knows them (system df, ps). */
  containerCounts?: Map<string, number>;
  sharedSizes?: Map<string, number>;
}

const KNOWN_FILTERS = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

/** Go's path.Match for one pattern against a name (`*`, `?`, `[...]`, `\` escapes; `*` stops at `/`). */
export function pathMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`).test(name);
  } catch {
    return false;
  }
}

export function listImages(store: ImageStore, options: ImageListOptions = {}): ImageSummary[] {
  const filters = options.filters ?? new Map<string, string[]>();
  for (const name of filters.keys()) {
    if (!KNOWN_FILTERS.has(name)) throw invalidArgument(`invalid filter '${name}'`);
  }
  const danglingValues = filters.get('dangling') ?? [];
  let danglingOnly = false;
  for (const v of danglingValues) {
    if (v === 'true' || v === '1') danglingOnly = true;
    else if (v !== 'false' && v !== '0') throw invalidArgument(`invalid filter 'dangling=${v}'`);
  }
  const beforeCreated = (filters.get('before') ?? []).map((r) => createdOf(store, store.resolve(r)));
  const sinceCreated = (filters.get('since') ?? []).map((r) => createdOf(store, store.resolve(r)));
  const until = (filters.get('until') ?? []).map((v) => parseTimestampFilter(v));
  const references = filters.get('reference') ?? [];

  const tagsByImage = new Map<string, string[]>();
  for (const tag of store.records.allTags()) {
    const list = tagsByImage.get(tag.imageId) ?? [];
    list.push(familiarString(parseReference(tag.name)));
    tagsByImage.set(tag.imageId, list);
  }
  const digestsByImage = new Map<string, string[]>();
  for (const d of store.records.allRepoDigests()) {
    const list = digestsByImage.get(d.imageId) ?? [];
    list.push(familiarString(parseReference(d.name)));
    digestsByImage.set(d.imageId, list);
  }
  const rows = store.records.all();
  const labelsOf = (row: { id: string; labels: string | null }): Record<string, string> | null => {
    if (row.labels === null) return store.labels(row.id);
    const parsed = JSON.parse(row.labels) as Record<string, string>;
    return Object.keys(parsed).length === 0 ? null : parsed;
  };
  const hasChildren = new Set(rows.map((r) => r.parent).filter((p) => p !== ''));

  const out: ImageSummary[] = [];
  for (const row of rows) {
    const created = createdSeconds(row.created);
    if (beforeCreated.some((b) => created >= b)) continue;
    if (sinceCreated.some((s) => created <= s)) continue;
    if (until.some((u) => created * 1000 > u)) continue;
    let repoTags = tagsByImage.get(row.id) ?? [];
    let repoDigests = digestsByImage.get(row.id) ?? [];
    const imageLabels = labelsOf(row);
    if (!matchesLabelFilters(filters, imageLabels)) continue;
    if (references.length > 0) {
      repoTags = repoTags.filter((t) => references.some((p) => referenceMatches(p, t)));
      repoDigests = repoDigests.filter((d) => references.some((p) => referenceMatches(p, d)));
      if (repoTags.length === 0 && repoDigests.length === 0) continue;
    }
    if (repoTags.length === 0 && repoDigests.length === 0) {
      if (!(options.all || !hasChildren.has(row.id))) continue;
      if (filters.has('dangling') && !danglingOnly) continue;
    } else if (danglingOnly) {
      continue;
    }
    out.push({
      Containers: options.containerCounts?.get(row.id) ?? -1,
      Created: created,
      Id: row.id,
      Labels: imageLabels,
      ParentId: row.parent,
      RepoDigests: repoDigests,
      RepoTags: repoTags,
      SharedSize: options.sharedSizes?.get(row.id) ?? -1,
      Size: row.size,
    });
  }
  out.sort((a, b) => b.Created - a.Created || (a.Id < b.Id ? -1 : 1));
  return out;
}

/** docker's reference filter: the pattern against the familiar name, and name:tag. */
export function referenceMatches(pattern: string, familiarRef: string): boolean {
  let name = familiarRef;
  try {
    name = familiarName(parseReference(familiarRef));
  } catch {
    // keep the text as is
  }
  if (pathMatch(pattern, familiarRef) || pathMatch(pattern, name)) return true;
  // A pattern without a tag also matches the fully qualified form (docker.io/library/x).
  try {
    const ref = withDefaultTag(parseReference(familiarRef));
    return pathMatch(pattern, `${ref.domain}/${ref.path}`) || pathMatch(pattern, `${ref.domain}/${ref.path}:${ref.tag ?? ''}`);
  } catch {
    return false;
  }
}

function createdOf(store: ImageStore, id: Digest): number {
  return createdSeconds(store.get(id)?.created ?? null);
}

function createdSeconds(created: string | null): number {
  const ms = parseRfc3339(created ?? undefined);
  return ms === undefined ? 0 : Math.floor(ms / 1000);
}
