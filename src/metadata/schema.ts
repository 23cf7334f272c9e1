/**
 * The metadata database: one SQLite file (`<root>/metadata.db`, WAL mode) for every record
 * strata keeps. This file is the one place the schema is written down.
 *
 *   images          one row per image, keyed by its ID (the config digest)
 *   ├─ image_layers   the image's layer stack, bottom first, as chain IDs
 *   ├─ tags           name:tag → image (full normalised names, docker.io/library/x:y)
 *   └─ repo_digests   name@digest → image (filled by pull and push)
 *   layers          one row per layer stack position (chain ID): diff_id, parent, sizes
 *   └─ layer_blobs    blobs known to hold a diff_id (uncompressed or compressed)
 *   snapshots       extracted layers (committed, keyed by chain ID) and writable or read-only
 *                   working trees on top of them (active, view), per storage driver
 *   leases          in-flight operations (load, pull, build) that protect what they wrote
 *   └─ lease_refs     blobs and layers a lease protects from garbage collection
 *
 * `PRAGMA user_version` holds the schema version; MIGRATIONS[i] takes the schema from
 * version i to i+1. Later issues add their tables (snapshots, containers, volumes, build
 * cache) as new migrations, never by editing an old one.
 */

export const MIGRATIONS: readonly string[] = [
  // 0 → 1: images, layers, leases
  `
  CREATE TABLE images (
    id                  TEXT PRIMARY KEY,        -- config digest: the image ID
    config_size         INTEGER NOT NULL,
    created             TEXT,                    -- config "created" (RFC 3339), may be NULL
    parent              TEXT NOT NULL DEFAULT '', -- parent image ID (docker commit), '' if none
    manifest_digest     TEXT,                    -- stored manifest blob, NULL if none yet
    manifest_media_type TEXT,
    manifest_size       INTEGER,
    size                INTEGER NOT NULL,        -- docker's Size: sum of its layers' sizes
    added_at            INTEGER NOT NULL,        -- ms since epoch, when stored here
    last_tag_time       TEXT                     -- RFC 3339 Nano, Metadata.LastTagTime
  ) STRICT;

  CREATE TABLE image_layers (
    image_id  TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,                  -- 0 = bottom layer
    chain_id  TEXT NOT NULL REFERENCES layers(chain_id),
    PRIMARY KEY (image_id, position)
  ) STRICT;
  CREATE INDEX image_layers_by_chain ON image_layers(chain_id);

  CREATE TABLE tags (
    name       TEXT PRIMARY KEY,                 -- docker.io/library/busybox:latest
    image_id   TEXT NOT NULL REFERENCES images(id),
    tagged_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX tags_by_image ON tags(image_id);

  CREATE TABLE repo_digests (
    name       TEXT PRIMARY KEY,                 -- docker.io/library/busybox@sha256:…
    image_id   TEXT NOT NULL REFERENCES images(id)
  ) STRICT;
  CREATE INDEX repo_digests_by_image ON repo_digests(image_id);

  CREATE TABLE layers (
    chain_id   TEXT PRIMARY KEY,
    diff_id    TEXT NOT NULL,
    parent     TEXT,                             -- parent chain ID, NULL for a base layer
    size       INTEGER NOT NULL,                 -- docker's layer size (file bytes + symlink targets)
    tar_size   INTEGER NOT NULL,                 -- bytes of the uncompressed layer tar
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX layers_by_diff ON layers(diff_id);

  CREATE TABLE layer_blobs (
    diff_id    TEXT NOT NULL,
    digest     TEXT NOT NULL,                    -- blob digest (= diff_id when uncompressed)
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (diff_id, digest)
  ) STRICT;
  CREATE INDEX layer_blobs_by_digest ON layer_blobs(digest);

  CREATE TABLE leases (
    id         TEXT PRIMARY KEY,
    pid        INTEGER NOT NULL,                 -- owner process; a lease of a dead pid is stale
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE lease_refs (
    lease_id   TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,                    -- 'blob' | 'layer'
    ref        TEXT NOT NULL,
    PRIMARY KEY (lease_id, kind, ref)
  ) STRICT;
  `,
  // 1 → 2: image labels kept beside the record, so listings never read configs.
  `
  ALTER TABLE images ADD COLUMN labels TEXT;    -- JSON object of config.Labels; NULL = not recorded yet
  `,
  // 2 → 3: snapshots
  `
  CREATE TABLE snapshots (
    key        TEXT PRIMARY KEY,                 -- committed: the layer's chain ID; others: the owner's key
    dir        TEXT NOT NULL UNIQUE,             -- directory name under snapshots/<driver>/
    driver     TEXT NOT NULL,                    -- 'overlay' | 'native'
    kind       TEXT NOT NULL,                    -- 'committed' | 'active' | 'view'
    parent     TEXT REFERENCES snapshots(key),   -- a committed snapshot, NULL for a base
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX snapshots_by_parent ON snapshots(parent);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
