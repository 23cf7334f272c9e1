/**
 * The composition root: opens the store under one root directory and wires the services.
 * The only module that knows them all; front ends (cli/, ui/, api/) talk to it.
 *
 *   <root>/content/      OCI image layout (blobs, index.json)
 *   <root>/metadata.db   SQLite, WAL
 *   <root>/tmp/          scratch space on the same filesystem (atomic renames)
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { dataLoss, fromSystemError } from '../errdefs/index.ts';
import { ContentStore } from '../content/index.ts';
import { openDatabase, type Database } from '../metadata/index.ts';
import { GarbageCollector } from '../gc/index.ts';
import { ImageStore } from '../images/index.ts';
import { layerCompression, type Digest } from '../oci/index.ts';

export const DEFAULT_ROOT = '/var/lib/strata';

export interface EngineOptions {
  root: string;
}

export class Engine {
  readonly root: string;
  readonly content: ContentStore;
  readonly db: Database;
  readonly images: ImageStore;
  readonly gc: GarbageCollector;

  private constructor(root: string, content: ContentStore, db: Database) {
    this.root = root;
    this.content = content;
    this.db = db;
    this.images = new ImageStore(db, content);
    this.gc = new GarbageCollector({ db, content });
  }

  /** Opens (creating if needed) the store at `options.root`. */
  static open(options: EngineOptions): Engine {
    const root = isAbsolute(options.root) ? options.root : resolve(options.root);
    try {
      mkdirSync(root, { recursive: true, mode: 0o711 });
      mkdirSync(join(root, 'tmp'), { recursive: true });
    } catch (err) {
      throw fromSystemError(err, `create the store at ${root}`);
    }
    const content = new ContentStore(join(root, 'content'));
    const db = openDatabase(join(root, 'metadata.db'));
    return new Engine(root, content, db);
  }

  close(): void {
    this.db.close();
  }

  /**
   * The uncompressed tar of a layer, from a blob that holds it. Layers built here and
   * never exported have no blob yet; their tar is regenerated from the snapshot (layers issue).
   * @throws data-loss when no stored blob holds the layer
   */
  async layerTar(layer: { diffId: Digest }): Promise<Readable> {
    const blobs = this.images.layers.blobsOf(layer.diffId).filter((b) => this.content.has(b.digest as Digest));
    const plain = blobs.find((b) => layerCompression(b.mediaType) === 'none');
    if (plain) return this.content.createReadStream(plain.digest as Digest);
    const gzip = blobs.find((b) => layerCompression(b.mediaType) === 'gzip');
    if (gzip) return this.content.createReadStream(gzip.digest as Digest).pipe(createGunzip());
    const zstd = blobs.find((b) => layerCompression(b.mediaType) === 'zstd');
    if (zstd) {
      const { decompressed } = await import('../archive/index.ts');
      return (await decompressed(this.content.createReadStream(zstd.digest as Digest), `layer ${layer.diffId}`)).stream;
    }
    throw dataLoss(`layer ${layer.diffId}: no stored blob holds it`);
  }
}
