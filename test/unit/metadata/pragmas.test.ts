// The SQLite settings docs/DURABILITY.md promises, read back rather than assumed: WAL (so
// readers never wait for a writer), synchronous = NORMAL (a commit costs no fsync; a host
// crash may roll back the last transactions, never half of one), a 30 s busy timeout (writers
// queue instead of failing with "database is locked") and foreign keys enforced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Engine } from '../../../src/engine/index.ts';
import { strataOk } from '../../helpers/strata-cli.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('the database the CLI creates is in WAL mode', () => {
  const root = tempDir();
  strataOk(root, ['images']);
  // journal_mode = WAL is stored in the file: any later connection, sqlite3's CLI included, finds it.
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  } finally {
    db.close();
  }
});

test('the connection every command opens has synchronous=NORMAL, a 30 s busy timeout and foreign keys', () => {
  // The CLI's context opens the store with Engine.open (src/cli/context.ts); these settings
  // belong to the connection, so they are read on one opened the same way.
  const root = tempDir();
  strataOk(root, ['images']);
  const engine = Engine.open({ root });
  try {
    assert.deepEqual({
      journal: engine.db.pragma('journal_mode', { simple: true }),
      synchronous: engine.db.pragma('synchronous', { simple: true }),
      busyTimeoutMs: engine.db.pragma('busy_timeout', { simple: true }),
      foreignKeys: engine.db.pragma('foreign_keys', { simple: true }),
    }, { journal: 'wal', synchronous: 1, busyTimeoutMs: 30_000, foreignKeys: 1 });
  } finally {
    engine.close();
  }
});
