/**
 * Addresses on a bridge and host ports as the whole host holds them, whatever store took
 * them: every store's default network is the one bridge `strata0` on one subnet, and host
 * ports are the host's, so a store's own database can't tell what another store handed out.
 * One SQLite file under /run/strata (tmpfs: it goes at reboot, as the leases do) holds them;
 * a store takes its leases inside its own allocation transaction, so the choice and the
 * claim are one step for every store on the host.
 *
 * A lease names the container's directory. It is stale, and given back by the next claim,
 * when that directory has no `network.json` (the container was detached, removed, or its
 * store deleted) or has `netavark.released` (its supervisor tore the network down at the
 * exit and could not reach this file).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inTransaction, openSideDatabase, type Database } from '../metadata/index.ts';

const RUN_DIR = '/run/strata';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS addresses (bridge TEXT NOT NULL, ip TEXT NOT NULL, holder TEXT NOT NULL, PRIMARY KEY (bridge, ip));
CREATE TABLE IF NOT EXISTS ports (protocol TEXT NOT NULL, host_port INTEGER NOT NULL, host_ip TEXT NOT NULL, holder TEXT NOT NULL);
`;

export interface HostPortLease {
  hostIp: string;
  hostPort: number;
  protocol: string;
}

/** Whether a lease's holder (a container directory) no longer holds its network. */
function isStale(holder: string): boolean {
  return !existsSync(join(holder, 'network.json')) || existsSync(join(holder, 'netavark.released'));
}

export class HostLeases {
  private dbCache: Database | undefined;

  constructor(private readonly file = join(RUN_DIR, 'leases.db')) {}

  private db(): Database {
    if (this.dbCache === undefined) {
      mkdirSync(RUN_DIR, { recursive: true });
      this.dbCache = openSideDatabase(this.file, SCHEMA);
    }
    return this.dbCache;
  }

  /**
   * Runs `fn` holding the host-wide write lock, stale leases (and `holder`'s own when `fresh`:
   * a start) given back first: what `fn` reads and claims through the `HostClaims` is the host's.
   */
  claim<T>(holder: string, fresh: boolean, fn: (claims: HostClaims) => T): T {
    const db = this.db();
    holder = resolve(holder);
    return inTransaction(db, () => {
      const holders = db.prepare('SELECT holder FROM addresses UNION SELECT holder FROM ports').pluck().all() as string[];
      for (const h of holders) if ((fresh && h === holder) || isStale(h)) this.releaseIn(db, h);
      return fn(new HostClaims(db, holder));
    });
  }

  /** Every host port held on the host (a stale lease holds none: its port may be any process's now). */
  ports(): HostPortLease[] {
    const rows = this.db().prepare('SELECT host_ip AS hostIp, host_port AS hostPort, protocol, holder FROM ports').all() as Array<HostPortLease & { holder: string }>;
    return rows.filter((r) => !isStale(r.holder)).map(({ hostIp, hostPort, protocol }) => ({ hostIp, hostPort, protocol }));
  }

  /** Whether any container on the host (of any store) still holds an address on a bridge. */
  anyHeld(): boolean {
    const holders = this.db().prepare('SELECT DISTINCT holder FROM addresses').pluck().all() as string[];
    return holders.some((h) => !isStale(h));
  }

  /** Gives back what `holder` holds: on `bridge` only, or all of it. */
  release(holder: string, bridge?: string): void {
    const db = this.db();
    holder = resolve(holder);
    inTransaction(db, () => {
      if (bridge !== undefined) db.prepare('DELETE FROM addresses WHERE holder = ? AND bridge = ?').run(holder, bridge);
      else this.releaseIn(db, holder);
    });
  }

  private releaseIn(db: Database, holder: string): void {
    db.prepare('DELETE FROM addresses WHERE holder = ?').run(holder);
    db.prepare('DELETE FROM ports WHERE holder = ?').run(holder);
  }
}

/** Reading and taking leases inside `HostLeases.claim`. */
export class HostClaims {
  constructor(private readonly db: Database, private readonly holder: string) {}

  /** The addresses other holders have on the bridge. */
  addressesOn(bridge: string): Set<string> {
    return new Set(this.db.prepare('SELECT ip FROM addresses WHERE bridge = ?').pluck().all(bridge) as string[]);
  }

  addAddress(bridge: string, ip: string): void {
    this.db.prepare('INSERT INTO addresses (bridge, ip, holder) VALUES (?, ?, ?)').run(bridge, ip, this.holder);
  }

  ports(): HostPortLease[] {
    return this.db.prepare('SELECT host_ip AS hostIp, host_port AS hostPort, protocol FROM ports').all() as HostPortLease[];
  }

  addPort(p: HostPortLease): void {
    this.db.prepare('INSERT INTO ports (protocol, host_port, host_ip, holder) VALUES (?, ?, ?, ?)').run(p.protocol, p.hostPort, p.hostIp, this.holder);
  }
}
