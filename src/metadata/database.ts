/**
 * Opening the metadata database: WAL mode so several strata processes can read while one
 * writes, a busy timeout so writers queue instead of failing, and migrations applied in
 * one transaction.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { failedPrecondition, fromSystemError, StrataError } from '../errdefs/index.ts';
import { crashPoint } from '../internal/index.ts';
import { keepReserve } from './disk-reserve.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

export type Database = Sqlite.Database;

/**
 * The addon's path, given to better-sqlite3 directly: its default lookup (the `bindings`
 * package) walks a stack trace and tries a dozen paths, a few ms of every command's start-up.
 * Undefined (the default lookup) where the addon lives elsewhere, as in a prebuilt install.
 */
function nativeBinding(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined;
  }
}

export function openDatabase(path: string): Database {
  // SQLite needs room to open (its wal-index) and to write, even on a full disk.
  keepReserve(dirname(path));
  let db: Database;
  try {
    const addon = nativeBinding();
    db = new Sqlite(path, { timeout: 30_000, ...(addon !== undefined ? { nativeBinding: addon } : {}) });
  } catch (err) {
    throw fromSystemError(err, `open metadata database ${path}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (err) {
    db.close();
    if (err instanceof StrataError) throw err;
    throw fromSystemError(err, `open metadata database ${path}`);
  }
  return db;
}

/**
 * A small database of its own schema, outside any store (the host-wide leases under
 * /run/strata): the same addon and busy wait as a store's, `schema` run on every open.
 */
export function openSideDatabase(path: string, schema: string): Database {
  let db: Database;
  try {
    const addon = nativeBinding();
    db = new Sqlite(path, { timeout: 30_000, ...(addon !== undefined ? { nativeBinding: addon } : {}) });
    db.pragma('journal_mode = WAL');
    db.exec(schema);
  } catch (err) {
    throw fromSystemError(err, `open database ${path}`);
  }
  return db;
}

function migrate(db: Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === SCHEMA_VERSION) return;
  if (current > SCHEMA_VERSION) {
    throw failedPrecondition(`metadata database ${path} has schema version ${current}, newer than this strata (${SCHEMA_VERSION})`, {
      hint: 'upgrade strata, or use another --root',
    });
  }
  // IMMEDIATE takes the write lock first, so two processes don't migrate at once.
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v] as string);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/**
 * Runs `fn` in one write transaction (BEGIN IMMEDIATE): all of it happens or none. Inside
 * another transaction it is a savepoint of that one, which commits nothing on its own.
 */
export function inTransaction<T>(db: Database, fn: () => T): T {
  const outermost = !db.inTransaction;
  const result = db.transaction(fn).immediate();
  if (outermost) crashPoint('db-commit');
  return result;
}
