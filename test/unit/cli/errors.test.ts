// The CLI's last line of defence: a system error no module translated is still one the user
// can act on (a missing directory, a full disk), so it is named by its call and path in
// strerror's words, never reported as an internal error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Sqlite from 'better-sqlite3';
import { reportError } from '../../../src/cli/errors.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

function reported(err: unknown, databasePath?: string): { text: string; status: number } {
  const out = new PassThrough();
  const status = reportError(err, out as unknown as NodeJS.WriteStream, false, 1, databasePath);
  return { text: String(out.read() ?? ''), status };
}

function thrownBy(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

test('a file system error that escaped is named by its call and path', () => {
  const dir = tempDir();
  const missing = join(dir, 'missing', 'iid');
  assert.deepEqual(reported(thrownBy(() => writeFileSync(missing, 'x'))), { text: `Error: open ${missing}: no such file or directory\n`, status: 1 });
  assert.deepEqual(reported(thrownBy(() => writeFileSync(dir, 'x'))), { text: `Error: open ${dir}: is a directory\n`, status: 1 });
  assert.deepEqual(reported(thrownBy(() => writeFileSync('/dev/full', 'x'))), { text: 'Error: write: no space left on device\n', status: 1 });
});

test('SQLite\'s full disk names the store\'s database', () => {
  const path = join(tempDir(), 'metadata.db');
  const db = new Sqlite(path);
  try {
    db.exec('CREATE TABLE t (v BLOB)');
    db.pragma('max_page_count = 4');
    const err = thrownBy(() => db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024)));
    assert.equal((err as { code?: unknown }).code, 'SQLITE_FULL');
    assert.deepEqual(reported(err, path), { text: `Error: write ${path}: no space left on device\n`, status: 1 });
  } finally {
    db.close();
  }
});

test('a bug is still reported as one, and a closed pipe is not an error', () => {
  assert.deepEqual(reported(new TypeError('x is undefined')), {
    text: 'Error: internal error: x is undefined\nHint: run with --debug for details, and report it if it persists\n',
    status: 1,
  });
  assert.equal(reported(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' })).status, 0);
});
