import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ImageRecords, inTransaction, openDatabase, SCHEMA_VERSION } from '../../../src/metadata/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('a new database is migrated to the current schema in WAL mode', () => {
  const db = openDatabase(join(tempDir(), 'metadata.db'));
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test('a database newer than this strata is refused, not damaged', () => {
  const path = join(tempDir(), 'metadata.db');
  const db = openDatabase(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openDatabase(path), (err) => isStrataError(err, 'failed-precondition'));
});

test('a failed transaction changes nothing', () => {
  const db = openDatabase(join(tempDir(), 'metadata.db'));
  const images = new ImageRecords(db);
  assert.throws(() => inTransaction(db, () => {
    images.insert({ id: 'sha256:' + 'a'.repeat(64), configSize: 1, created: null, parent: '', manifestDigest: null, manifestMediaType: null, manifestSize: null, size: 0, addedAt: 0, labels: null }, []);
    throw new Error('boom');
  }), /boom/);
  assert.deepEqual(images.all(), []);
  db.close();
});

test('several processes write at once without losing a row', async () => {
  const path = join(tempDir(), 'metadata.db');
  openDatabase(path).close();
  const script = `
    import { openDatabase, ImageRecords, inTransaction } from ${JSON.stringify(new URL('../../../src/metadata/index.ts', import.meta.url).pathname)};
    const db = openDatabase(process.argv[1]);
    const images = new ImageRecords(db);
    for (let i = 0; i < 50; i++) {
      const id = 'sha256:' + (process.argv[2] + i.toString(16)).padStart(64, '0');
      inTransaction(db, () => images.insert({ id, configSize: 1, created: null, parent: '', manifestDigest: null, manifestMediaType: null, manifestSize: null, size: 0, addedAt: 0, labels: null }, []));
    }
    db.close();
  `;
  const run = (tag: string): Promise<void> => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path, tag], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
  });
  await Promise.all([run('a'), run('b'), run('c')]);
  const db = openDatabase(path);
  assert.equal(new ImageRecords(db).all().length, 150);
  db.close();
});
