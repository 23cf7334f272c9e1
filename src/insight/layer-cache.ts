/**
 * Layer scans kept on disk by diff_id (a layer never changes, so neither does its scan):
 * `<root>/insight/layers/<hex>.json`, each written atomically. A file that does not parse or
 * names another layer is ignored (the layer is read again), never trusted. Only layers of
 * the store are cached; the garbage collection drops the files of layers that are gone.
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../internal/index.ts';
import type { EntryKind, LayerEntry, LayerScan } from './layer-scan.ts';

/** Bumped when what a scan records changes: older files are read again. */
const CACHE_VERSION = 1;

const KIND_LETTER: Record<EntryKind, string> = { file: 'f', dir: 'd', symlink: 'l', hardlink: 'h', other: 'o', whiteout: 'w', opaque: 'q' };
const LETTER_KIND = new Map(Object.entries(KIND_LETTER).map(([k, v]) => [v, k as EntryKind]));

interface CacheFile {
  version: number;
  diffId: string;
  tarBytes: number;
  /** [path, kind letter, size, sha256] per entry: a third of the size of objects. */
  entries: [string, string, number, string][];
}

/** `<root>/insight/layers`: where the scans of a store's layers are kept. */
export function layerCacheDir(root: string): string {
  return join(root, 'insight', 'layers');
}

export class LayerScanCache {
  constructor(private readonly dir: string) {}

  private fileOf(diffId: string): string | undefined {
    const m = /^sha256:([a-f0-9]{64})$/.exec(diffId);
    return m ? join(this.dir, `${m[1]}.json`) : undefined;
  }

  /** The scan cached for `diffId`, or undefined (none, or unreadable: read the layer again). */
  get(diffId: string): LayerScan | undefined {
    const file = this.fileOf(diffId);
    if (file === undefined) return undefined;
    let parsed: CacheFile;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    } catch {
      return undefined;
    }
    if (parsed.version !== CACHE_VERSION || parsed.diffId !== diffId || !Array.isArray(parsed.entries)) return undefined;
    const entries: LayerEntry[] = [];
    for (const e of parsed.entries) {
      const kind = LETTER_KIND.get(e[1]);
      if (kind === undefined || typeof e[0] !== 'string' || typeof e[2] !== 'number') return undefined;
      entries.push({ path: e[0], kind, size: e[2], sha256: e[3] });
    }
    return { diffId, tarBytes: parsed.tarBytes, entries };
  }

  /**
   * Keeps `scan` (atomically: a reader sees the whole file or none). Best effort: a cache
   * that cannot be written (a read-only or full disk) only costs the next run a read.
   */
  put(scan: LayerScan): void {
    const file = this.fileOf(scan.diffId);
    if (file === undefined) return;
    const body: CacheFile = {
      version: CACHE_VERSION,
      diffId: scan.diffId,
      tarBytes: scan.tarBytes,
      entries: scan.entries.map((e) => [e.path, KIND_LETTER[e.kind], e.size, e.sha256]),
    };
    try {
      mkdirSync(this.dir, { recursive: true });
      // Losing a cache file to a crash costs one more read of the layer: no fsync.
      writeFileAtomic(file, JSON.stringify(body), { durable: false });
    } catch {
      // See above: the analysis stands without its cache.
    }
  }

  /** Removes the scans of layers not in `keep` (diff_ids); returns how many went. */
  prune(keep: ReadonlySet<string>): number {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const m = /^([a-f0-9]{64})\.json$/.exec(name);
      // A writer's temporary file (`.<hex>.json.<random>.tmp`) may be in flight: left alone.
      if (m === null || keep.has(`sha256:${m[1]}`)) continue;
      try {
        unlinkSync(join(this.dir, name));
        removed++;
      } catch {
        // Gone already (another prune).
      }
    }
    return removed;
  }
}
