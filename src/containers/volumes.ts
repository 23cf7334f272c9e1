/**
 * Volumes with docker's local driver: a directory `<root>/volumes/<name>/_data` that
 * outlives the containers that mount it. Named volumes are made by `volume create` or on
 * first use; anonymous ones (64-hex names) for an image's VOLUME and for `-v /path`, and
 * `rm -v` / `run --rm` remove those with their container. `-o type=… device=… o=…` mounts
 * that filesystem at `_data` while the volume is in use, as the local driver does.
 *
 * Crash safety: the directory is made before the record and removed after it, so a crash
 * leaves at most a directory without a record, which `sweep` removes.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { failedPrecondition, fromSystemError, invalidArgument, notFound } from '../errdefs/index.ts';
import { inTransaction, VolumeRecords, type Database, type VolumeRow } from '../metadata/index.ts';
import { goMap, matchesLabelFilters } from '../oci/index.ts';
import { isMountPoint, mountAll, unmountAll } from '../mount/index.ts';
import { randomHexId } from '../internal/index.ts';
import { validateVolumeName } from '../runtime/index.ts';
import { removingInTransaction } from './removing-dir.ts';
import { treeSize } from './tree-size.ts';

export interface NewVolume {
  /** Absent: an anonymous volume with a random 64-hex name. */
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/** `volume inspect`'s object, keys in docker's order. */
export interface VolumeInspect {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

export interface VolumeSummary extends VolumeInspect {
  anonymous: boolean;
  /** Containers using it. */
  links: number;
}

const LOCAL_OPTIONS = new Set(['type', 'device', 'o', 'size']);

function nowSeconds(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A stored JSON map, keys sorted as Go prints and marshals maps. */
function parseJsonMap(text: string): Record<string, string> {
  const v = JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export class VolumeStore {
  readonly records: VolumeRecords;
  readonly home: string;

  constructor(
    private readonly db: Database,
    root: string,
  ) {
    this.records = new VolumeRecords(db);
    this.home = join(root, 'volumes');
  }

  /** `<root>/volumes/<name>/_data`: what containers mount. */
  dataDir(name: string): string {
    return join(this.home, name, '_data');
  }

  /**
   * Makes the directory of a volume about to be recorded (call before `record`, outside the
   * transaction). Returns the full request, with a name for an anonymous one.
   * @throws invalid-argument for a bad name, an unknown driver or driver option.
   */
  prepare(request: NewVolume): Required<Pick<NewVolume, 'name'>> & NewVolume & { anonymous: boolean } {
    const anonymous = request.name === undefined || request.name === '';
    const name = anonymous ? randomHexId() : (request.name as string);
    if (!anonymous) {
      try {
        validateVolumeName(name);
      } catch (err) {
        throw invalidArgument(`create ${name}: ${(err as Error).message}`);
      }
    }
    const driver = request.driver ?? 'local';
    if (driver !== 'local') throw invalidArgument(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    for (const key of Object.keys(request.options ?? {})) {
      if (!LOCAL_OPTIONS.has(key)) throw invalidArgument(`create ${name}: invalid option: "${key}"`);
    }
    try {
      mkdirSync(this.dataDir(name), { recursive: true, mode: 0o755 });
    } catch (err) {
      throw fromSystemError(err, `create volume ${name}`);
    }
    return { ...request, name, anonymous };
  }

  /**
   * Records a prepared volume unless one of that name exists (call inside a transaction).
   * @returns true when it was new.
   */
  record(prepared: { name: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string>; anonymous: boolean }): boolean {
    if (this.records.get(prepared.name)) return false;
    this.records.insert({
      name: prepared.name,
      driver: prepared.driver ?? 'local',
      created: nowSeconds(),
      labels: JSON.stringify(prepared.labels ?? {}),
      options: JSON.stringify(prepared.options ?? {}),
      anonymous: prepared.anonymous ? 1 : 0,
    });
    return true;
  }

  /** `volume create`: idempotent for a name that exists (docker returns it as is). */
  create(request: NewVolume): VolumeInspect {
    const prepared = this.prepare(request);
    inTransaction(this.db, () => this.record(prepared));
    return this.inspect(prepared.name);
  }

  /** @throws not-found `get x: no such volume` */
  get(name: string): VolumeRow {
    const row = this.records.get(name);
    if (!row) throw notFound(`get ${name}: no such volume`);
    return row;
  }

  inspect(name: string): VolumeInspect {
    return this.view(this.get(name));
  }

  private view(row: VolumeRow): VolumeInspect {
    const labels = parseJsonMap(row.labels);
    const options = parseJsonMap(row.options);
    return {
      CreatedAt: row.created,
      Driver: row.driver,
      Labels: Object.keys(labels).length > 0 ? goMap(labels) : null,
      Mountpoint: this.dataDir(row.name),
      Name: row.name,
      Options: Object.keys(options).length > 0 ? goMap(options) : null,
      Scope: 'local',
    };
  }

  /**
   * `volume ls`, with docker's filters: `name` (substring), `driver`, `label` (key or
   * key=value), `dangling` (true: used by no container).
   * @throws invalid-argument for an unknown filter.
   */
  list(filters: Map<string, string[]> = new Map()): VolumeSummary[] {
    for (const key of filters.keys()) {
      if (!['name', 'driver', 'label', 'label!', 'dangling'].includes(key)) throw invalidArgument(`invalid filter '${key}'`);
    }
    const links = this.records.linkCounts();
    const out: VolumeSummary[] = [];
    for (const row of this.records.all()) {
      const v: VolumeSummary = { ...this.view(row), anonymous: row.anonymous === 1, links: links.get(row.name) ?? 0 };
      const names = filters.get('name') ?? [];
      if (names.length > 0 && !names.some((n) => v.Name.includes(n))) continue;
      const drivers = filters.get('driver') ?? [];
      if (drivers.length > 0 && !drivers.includes(v.Driver)) continue;
      if (!matchesLabelFilters(filters, v.Labels)) continue;
      for (const d of filters.get('dangling') ?? []) {
        if (!['true', '1', 'false', '0'].includes(d)) throw invalidArgument(`invalid filter 'dangling=${d}'`);
      }
      const dangling = filters.get('dangling');
      if (dangling && dangling.length > 0 && !dangling.some((d) => (d === 'true' || d === '1') === (v.links === 0))) continue;
      out.push(v);
    }
    return out;
  }

  /** Bytes under a volume's data directory (files once per inode), or -1 when unreadable. */
  size(name: string): number {
    try {
      return treeSize(this.dataDir(name));
    } catch {
      return -1;
    }
  }

  /**
   * Removes a volume no container uses. With `force`, a missing one is not an error.
   * @throws not-found; failed-precondition `remove x: volume is in use - [id, …]`.
   */
  remove(name: string, options: { force?: boolean } = {}): boolean {
    return removingInTransaction(this.db, (aside) => {
      const row = this.records.get(name);
      if (!row) {
        if (options.force) return false;
        throw notFound(`get ${name}: no such volume`);
      }
      const users = this.records.users(name);
      if (users.length > 0) throw failedPrecondition(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      this.records.delete(name);
      aside(this.dirOf(name));
      return true;
    }, 'volume rm: record deleted');
  }

  /** A volume's directory (its data is in `_data` inside). */
  dirOf(name: string): string {
    return join(this.home, name);
  }

  /** Deletes a volume's directory (after its record is gone). */
  removeDir(name: string): void {
    const data = this.dataDir(name);
    if (isMountPoint(data)) unmountAll(data);
    rmSync(join(this.home, name), { recursive: true, force: true });
  }

  /**
   * `volume prune`: unused anonymous volumes, or with `all` every unused volume, filtered
   * by `label`/`label!`. Returns the names removed and the bytes they held.
   */
  prune(options: { all?: boolean; filters?: Map<string, string[]> } = {}): { deleted: string[]; reclaimed: number } {
    const filters = options.filters ?? new Map<string, string[]>();
    let all = options.all === true;
    for (const key of filters.keys()) {
      if (!['label', 'label!', 'all'].includes(key)) throw invalidArgument(`invalid filter '${key}'`);
    }
    for (const v of filters.get('all') ?? []) if (v === 'true' || v === '1') all = true;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.list()) {
      if (v.links > 0 || (!all && !v.anonymous)) continue;
      if (!matchesLabelFilters(filters, v.Labels)) continue;
      const size = this.size(v.Name);
      try {
        if (this.remove(v.Name)) {
          deleted.push(v.Name);
          reclaimed += Math.max(size, 0);
        }
      } catch {
        // taken into use meanwhile: kept, as docker does
      }
    }
    return { deleted, reclaimed };
  }

  /**
   * Gets a volume's data ready for a container: mounts the filesystem its `-o type=…`
   * options name (once; it stays until the volume is removed).
   */
  activate(name: string): string {
    const row = this.get(name);
    const data = this.dataDir(name);
    if (!existsSync(data)) mkdirSync(data, { recursive: true, mode: 0o755 });
    const options = parseJsonMap(row.options);
    if (options['type'] !== undefined && !isMountPoint(data)) {
      const opts = (options['o'] ?? '').split(',').filter((o) => o !== '');
      if (options['size'] !== undefined) opts.push(`size=${options['size']}`);
      mountAll([{ type: options['type'], source: options['device'] ?? options['type'], options: opts }], data);
    }
    return data;
  }

  /** Whether a volume's data directory holds nothing yet. */
  isEmpty(name: string): boolean {
    try {
      return readdirSync(this.dataDir(name)).length === 0;
    } catch {
      return true;
    }
  }

  /**
   * Removes volume directories without a record (a crash between making the directory and
   * recording it, or between deleting the record and the directory). Young ones are left
   * alone: another process may be about to record them.
   */
  sweep(minAgeMs = 60_000): string[] {
    if (!existsSync(this.home)) return [];
    const known = new Set(this.records.all().map((r) => r.name));
    const removed: string[] = [];
    for (const name of readdirSync(this.home)) {
      if (known.has(name)) continue;
      try {
        if (statSync(join(this.home, name)).mtimeMs > Date.now() - minAgeMs) continue;
      } catch {
        continue;
      }
      this.removeDir(name);
      removed.push(name);
    }
    return removed;
  }
}

