import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore } from '../../../src/content/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { sha256Of } from '../../../src/oci/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('lays blobs out as an OCI image layout', () => {
  const root = tempDir();
  const store = new ContentStore(root);
  const info = store.writeBytes(Buffer.from('hello'));
  assert.equal(info.digest, sha256Of('hello'));
  assert.equal(readFileSync(join(root, 'blobs', 'sha256', info.digest.slice(7)), 'utf8'), 'hello');
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  assert.equal(JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')).schemaVersion, 2);
  assert.equal(statSync(store.path(info.digest)).mode & 0o777, 0o444, 'committed blobs are read-only');
  assert.deepEqual(store.listIngest(), []);
});

test('a digest or size mismatch stores nothing and leaves no ingest file', async () => {
  const store = new ContentStore(tempDir());
  const wrong = sha256Of('other');
  await assert.rejects(store.write(Readable.from([Buffer.from('hello')]), { digest: wrong }), (err) => isStrataError(err, 'data-loss'));
  assert.throws(() => store.writeBytes(Buffer.from('hello'), { size: 4 }), (err) => isStrataError(err, 'data-loss'));
  assert.throws(() => store.writeBytes(Buffer.from('hello'), { size: 6 }), (err) => isStrataError(err, 'data-loss'));
  assert.deepEqual([...store.list()], []);
  assert.deepEqual(store.listIngest(), []);
});

test('a blob is invisible until committed', () => {
  const store = new ContentStore(tempDir());
  const writer = store.openWriter();
  writer.write(Buffer.from('part one '));
  assert.deepEqual([...store.list()], []);
  writer.write(Buffer.from('part two'));
  const info = writer.commit({ digest: sha256Of('part one part two') });
  assert.ok(store.has(info.digest));
  assert.equal(store.readBytes(info.digest).toString(), 'part one part two');
});

test('corruption is detected when a document is read', () => {
  const root = tempDir();
  const store = new ContentStore(root);
  const info = store.writeBytes(Buffer.from('{"a":1}'));
  const path = store.path(info.digest);
  // Simulate bit rot behind strata's back.
  chmodSync(path, 0o644);
  writeFileSync(path, '{"a":2}');
  assert.throws(() => store.readBytes(info.digest), (err) => isStrataError(err, 'data-loss'));
});

test('two processes writing the same blob both succeed and it is stored once', async () => {
  const root = tempDir();
  const data = Buffer.alloc(8 * 1024 * 1024, 7);
  const script = `
    import { ContentStore } from ${JSON.stringify(new URL('../../../src/content/index.ts', import.meta.url).pathname)};
    const store = new ContentStore(process.argv[1]);
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const w = store.openWriter();
    for (let i = 0; i < 8; i++) w.write(chunk);
    process.stdout.write(w.commit().digest);
  `;
  const run = (): Promise<string> => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}`))));
  });
  const [a, b] = await Promise.all([run(), run()]);
  assert.equal(a, sha256Of(data));
  assert.equal(b, a);
  const store = new ContentStore(root);
  assert.deepEqual([...store.list()].map((x) => x.digest), [a]);
  assert.deepEqual(store.listIngest(), []);
});
