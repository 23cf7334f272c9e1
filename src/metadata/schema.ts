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
 *   build_cache     build steps that produced a layer, by cache key (keeps its layer stack)
 *   build_file_hashes  content hashes of context files, by path + inode/size/mtime/ctime
 *   build_file_sets    file lists of COPY sources (to explain cache misses)
 *   build_cache_mounts RUN --mount=type=cache directories
 *   containers      one row per container: name, image, layer stack, config JSON, work lock
 *   volumes         named and anonymous volumes (data in <root>/volumes/<name>/_data)
 *   └─ container_volumes  which container mounts which volume where
 *   networks        docker's networks: bridge (the default one and user-defined), host, none
 *   ├─ network_endpoints  the address a running container holds on a network
 *   └─ published_ports    the host ports a running container's published ports hold
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
  // 3 → 4: build cache (steps that produced a layer), remembered context file hashes,
  // COPY source file lists (for miss explanations) and RUN --mount=type=cache directories.
  `
  CREATE TABLE build_cache (
    key          TEXT PRIMARY KEY,               -- the step's cache key (hex sha256)
    parent_key   TEXT NOT NULL,                  -- the key of the step below, '' for a stage base
    kind         TEXT NOT NULL,                  -- 'RUN' | 'COPY' | 'ADD' | 'WORKDIR'
    description  TEXT NOT NULL,                  -- the history text of the step
    inputs       TEXT NOT NULL,                  -- JSON of what the key was computed from
    chain_id     TEXT NOT NULL,                  -- the layer stack the step produced (kept by GC)
    diff_id      TEXT NOT NULL,
    size         INTEGER NOT NULL,
    tar_size     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,               -- ms; the layer's history time
    last_used_at INTEGER NOT NULL,
    usage_count  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX build_cache_by_parent ON build_cache(parent_key);
  CREATE INDEX build_cache_by_chain ON build_cache(chain_id);

  CREATE TABLE build_file_hashes (
    path      TEXT PRIMARY KEY,                  -- absolute path of a context file
    ino       INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  TEXT NOT NULL,
    ctime_ns  TEXT NOT NULL,
    digest    TEXT NOT NULL                      -- sha256 of its content
  ) STRICT;

  CREATE TABLE build_file_sets (
    digest  TEXT PRIMARY KEY,                    -- the content digest of one COPY's sources
    files   BLOB NOT NULL                        -- gzip JSON list of [path, metadata, digest]
  ) STRICT;

  CREATE TABLE build_cache_mounts (
    id           TEXT PRIMARY KEY,               -- RUN --mount=type=cache id (default: target)
    dir          TEXT NOT NULL,                  -- directory under <root>/build/cache-mounts/
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    usage_count  INTEGER NOT NULL
  ) STRICT;
  `,
  // 4 → 5: containers (one row each; runtime state lives in the container's state file),
  // volumes, and which container uses which volume at which path.
  `
  CREATE TABLE containers (
    id          TEXT PRIMARY KEY,                -- 64 hex characters
    name        TEXT NOT NULL UNIQUE,            -- without docker's leading '/'
    image_id    TEXT NOT NULL,                   -- the image it was created from (its config is kept by GC)
    layer_chain TEXT NOT NULL,                   -- the image's top chain ID ('' if none; kept by GC)
    created     TEXT NOT NULL,                   -- RFC 3339 Nano
    config      TEXT NOT NULL,                   -- JSON: docker's Config and HostConfig, mounts, run options
    lock_pid    INTEGER NOT NULL DEFAULT 0,      -- a process working on it (start, rm, mount); 0 = none
    lock_start  INTEGER NOT NULL DEFAULT 0,      -- that process's start time (clock ticks), against PID reuse
    lock_op     TEXT NOT NULL DEFAULT ''
  ) STRICT;
  CREATE INDEX containers_by_image ON containers(image_id);

  CREATE TABLE volumes (
    name       TEXT PRIMARY KEY,
    driver     TEXT NOT NULL,                    -- 'local'
    created    TEXT NOT NULL,                    -- RFC 3339 (seconds)
    labels     TEXT NOT NULL,                    -- JSON object
    options    TEXT NOT NULL,                    -- JSON object of driver options
    anonymous  INTEGER NOT NULL                  -- 1: made for an image VOLUME or a nameless -v
  ) STRICT;

  CREATE TABLE container_volumes (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    destination  TEXT NOT NULL,                  -- the path inside the container
    volume       TEXT NOT NULL REFERENCES volumes(name),
    PRIMARY KEY (container_id, destination)
  ) STRICT;
  CREATE INDEX container_volumes_by_volume ON container_volumes(volume);
  `,
  // 5 → 6: networks, the addresses and host ports running containers hold on them. An
  // endpoint or port row is taken at start in one transaction (so parallel starts never
  // share one) and given back when the container's network is torn down.
  `
  CREATE TABLE networks (
    id         TEXT PRIMARY KEY,                 -- 64 hex characters
    name       TEXT NOT NULL UNIQUE,
    driver     TEXT NOT NULL,                    -- 'bridge' | 'host' | 'null'
    subnet     TEXT NOT NULL,                    -- IPv4 CIDR, '' for host and none
    gateway    TEXT NOT NULL,
    ip_range   TEXT NOT NULL,                    -- '' = the whole subnet
    internal   INTEGER NOT NULL,
    bridge     TEXT NOT NULL,                    -- the Linux bridge's name, '' for host and none
    labels     TEXT NOT NULL,                    -- JSON object
    options    TEXT NOT NULL,                    -- JSON object (-o)
    created    TEXT NOT NULL                     -- RFC 3339 Nano
  ) STRICT;

  CREATE TABLE network_endpoints (
    network_id   TEXT NOT NULL REFERENCES networks(id),
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    ip           TEXT NOT NULL,
    PRIMARY KEY (network_id, ip),
    UNIQUE (network_id, container_id)
  ) STRICT;
  CREATE INDEX network_endpoints_by_container ON network_endpoints(container_id);

  CREATE TABLE published_ports (
    host_ip      TEXT NOT NULL,                  -- '' = every address of the host
    host_port    INTEGER NOT NULL,
    protocol     TEXT NOT NULL,                  -- 'tcp' | 'udp'
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    PRIMARY KEY (host_ip, host_port, protocol)
  ) STRICT;
  CREATE INDEX published_ports_by_container ON published_ports(container_id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
