// The room the database keeps for itself: on a filesystem something else filled, it still
// opens and takes a write. Real SQLite on a real 80 MiB tmpfs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTransaction, openDatabase, RESERVE_BYTES, RESERVE_FILE } from '../../../src/metadata/index.ts';

const skip = process.getuid?.() === 0 ? false : 'mounting a tmpfs needs root';
const disk = mkdtempSync(join(tmpdir(), 'strata-reserve-'));
if (!skip) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=80m', 'tmpfs', disk]);
after(() => {
  if (!skip) execFileSync('umount', [disk]);
  rmSync(disk, { recursive: true, force: true });
});

/** Writes `path` until the filesystem has no room left. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  assert.equal(statfsSync(disk).bavail, 0);
}

test('the database opens and takes a write on a filesystem something else filled', { skip }, () => {
  const path = join(disk, 'metadata.db');
  openDatabase(path).close();
  assert.equal(statSync(join(disk, RESERVE_FILE)).size, RESERVE_BYTES, 'reserve made while there was room');

  fill(join(disk, 'filler'));
  const db = openDatabase(path);
  assert.equal(existsSync(join(disk, RESERVE_FILE)), false, 'reserve given back');
  inTransaction(db, () => db.exec("CREATE TABLE after_full (x); INSERT INTO after_full VALUES ('written')"));
  db.close();

  // Once the space is back, the next open keeps the room again.
  rmSync(join(disk, 'filler'));
  const again = openDatabase(path);
  assert.equal(again.prepare('SELECT x FROM after_full').pluck().get(), 'written');
  again.close();
  assert.equal(statSync(join(disk, RESERVE_FILE)).size, RESERVE_BYTES);
});
