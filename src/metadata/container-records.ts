/**
 * Container rows: one per container, keyed by its 64-hex ID, with its unique name and the
 * image and layer stack it was created from. Everything docker keeps in config.v2.json and
 * hostconfig.json is one JSON document (`config`), written at create and changed only by
 * rename. What a container is doing now (running, exit code) is not here: its supervisor
 * keeps that in the container's state file.
 *
 * `lock_pid`/`lock_start`/`lock_op` mark a process working on the container (a start that
 * mounted its root, an rm, a cp into a stopped container); a lock whose process is gone
 * was left by a crash and tells the next reader what to clean up.
 */
import type { Database } from './database.ts';

export interface ContainerRow {
  id: string;
  /** Without docker's leading '/'. */
  name: string;
  imageId: string;
  /** The top chain ID of the image's layers, or '' for an image without layers (kept alive by GC). */
  layerChain: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  /** JSON, owned by containers/. */
  config: string;
  lockPid: number;
  /** The lock holder's start time in clock ticks (to tell a reused PID apart). */
  lockStart: number;
  /** 'start' | 'rm' | 'mount' | '' */
  lockOp: string;
}

const COLUMNS = 'id, name, image_id AS imageId, layer_chain AS layerChain, created, config, lock_pid AS lockPid, lock_start AS lockStart, lock_op AS lockOp';

export class ContainerRecords {
  constructor(private readonly db: Database) {}

  get(id: string): ContainerRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM containers WHERE id = ?`).get(id) as ContainerRow | undefined;
  }

  byName(name: string): ContainerRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM containers WHERE name = ?`).get(name) as ContainerRow | undefined;
  }

  /** IDs starting with `prefix` (at most `limit`). */
  idsWithPrefix(prefix: string, limit = 2): string[] {
    const rows = this.db.prepare('SELECT id FROM containers WHERE id >= ? AND id < ? ORDER BY id LIMIT ?').all(prefix, `${prefix}g`, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Every container, newest first (docker's `ps` order). */
  all(): ContainerRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM containers ORDER BY created DESC, id`).all() as ContainerRow[];
  }

  /** Image IDs and top chain IDs every container keeps (garbage-collection roots). */
  roots(): { imageIds: string[]; layerChains: string[] } {
    const rows = this.db.prepare('SELECT DISTINCT image_id AS imageId, layer_chain AS layerChain FROM containers').all() as { imageId: string; layerChain: string }[];
    return { imageIds: [...new Set(rows.map((r) => r.imageId))], layerChains: [...new Set(rows.map((r) => r.layerChain).filter((c) => c !== ''))] };
  }

  /** Containers created from image `imageId`. */
  usingImage(imageId: string): string[] {
    return (this.db.prepare('SELECT id FROM containers WHERE image_id = ?').all(imageId) as { id: string }[]).map((r) => r.id);
  }

  /** Container counts per image ID. */
  countsByImage(): Map<string, number> {
    const rows = this.db.prepare('SELECT image_id AS imageId, COUNT(*) AS n FROM containers GROUP BY image_id').all() as { imageId: string; n: number }[];
    return new Map(rows.map((r) => [r.imageId, r.n]));
  }

  insert(row: ContainerRow): void {
    this.db.prepare('INSERT INTO containers (id, name, image_id, layer_chain, created, config, lock_pid, lock_start, lock_op) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.name, row.imageId, row.layerChain, row.created, row.config, row.lockPid, row.lockStart, row.lockOp);
  }

  rename(id: string, name: string): void {
    this.db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, id);
  }

  setConfig(id: string, config: string): void {
    this.db.prepare('UPDATE containers SET config = ? WHERE id = ?').run(config, id);
  }

  setLock(id: string, lock: { pid: number; start: number; op: string }): void {
    this.db.prepare('UPDATE containers SET lock_pid = ?, lock_start = ?, lock_op = ? WHERE id = ?').run(lock.pid, lock.start, lock.op, id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }
}

export interface VolumeRow {
  name: string;
  driver: string;
  /** RFC 3339, seconds (docker's CreatedAt). */
  created: string;
  /** JSON object. */
  labels: string;
  /** JSON object (the local driver's `-o type= device= o=`). */
  options: string;
  /** 1 for a volume made for an image's VOLUME or a `-v /path` without a name. */
  anonymous: number;
}

export interface ContainerVolumeRow {
  containerId: string;
  destination: string;
  volume: string;
}

const VOLUME_COLUMNS = 'name, driver, created, labels, options, anonymous';

/** Volume rows and which containers use which volume. */
export class VolumeRecords {
  constructor(private readonly db: Database) {}

  get(name: string): VolumeRow | undefined {
    return this.db.prepare(`SELECT ${VOLUME_COLUMNS} FROM volumes WHERE name = ?`).get(name) as VolumeRow | undefined;
  }

  all(): VolumeRow[] {
    return this.db.prepare(`SELECT ${VOLUME_COLUMNS} FROM volumes ORDER BY name`).all() as VolumeRow[];
  }

  insert(row: VolumeRow): void {
    this.db.prepare('INSERT INTO volumes (name, driver, created, labels, options, anonymous) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.name, row.driver, row.created, row.labels, row.options, row.anonymous);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
  }

  attach(row: ContainerVolumeRow): void {
    this.db.prepare('INSERT INTO container_volumes (container_id, destination, volume) VALUES (?, ?, ?)').run(row.containerId, row.destination, row.volume);
  }

  /** The containers using volume `name`. */
  users(name: string): string[] {
    return (this.db.prepare('SELECT DISTINCT container_id AS id FROM container_volumes WHERE volume = ? ORDER BY container_id').all(name) as { id: string }[]).map((r) => r.id);
  }

  /** The volumes container `id` uses. */
  ofContainer(id: string): ContainerVolumeRow[] {
    return this.db.prepare('SELECT container_id AS containerId, destination, volume FROM container_volumes WHERE container_id = ?').all(id) as ContainerVolumeRow[];
  }

  /** How many containers use each volume. */
  linkCounts(): Map<string, number> {
    const rows = this.db.prepare('SELECT volume, COUNT(DISTINCT container_id) AS n FROM container_volumes GROUP BY volume').all() as { volume: string; n: number }[];
    return new Map(rows.map((r) => [r.volume, r.n]));
  }
}
