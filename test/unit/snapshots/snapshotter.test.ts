import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openDatabase } from '../../../src/metadata/index.ts';
import { commitActive, diffSnapshot, extractLayer, Snapshotter, type StorageDriver } from '../../../src/snapshots/index.ts';
import { mountAll, unmountAll } from '../../../src/mount/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { tarOf } from '../../helpers/layered-archive.ts';

function open(driver: StorageDriver): Snapshotter {
  const root = tempDir();
  return new Snapshotter(openDatabase(join(root, 'metadata.db')), join(root, 'snapshots'), driver);
}

async function withMounted<T>(s: Snapshotter, key: string, fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = join(s.home, '..', `mnt-${key}`);
  mkdirSync(dir, { recursive: true });
  mountAll(s.mounts(key), dir);
  try {
    return await fn(dir);
  } finally {
    unmountAll(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const driver of ['overlay', 'native'] as const) {
  test(`${driver}: layers stack, changes commit as a new layer, and the same change gives the same diff_id`, async (t) => {
    const s = open(driver);
    const base = await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/a', type: 'file', body: Buffer.from('a\n') }, { name: 'etc/gone', type: 'file', body: Buffer.from('x\n') }]);
    const stats = await extractLayer(s, { chainId: 'sha256:' + 'b'.repeat(64) as `sha256:${string}`, source: Readable.from([base]) });
    assert.ok(stats);
    const chain = 'sha256:' + 'b'.repeat(64);
    const results: string[] = [];
    // The two changes are made at different moments; with SOURCE_DATE_EPOCH their mtimes clamp
    // to the same value, so only the change itself decides the digest.
    process.env['SOURCE_DATE_EPOCH'] = '1000';
    t.after(() => {
      delete process.env['SOURCE_DATE_EPOCH'];
    });
    for (const key of ['c1', 'c2']) {
      s.prepare(key, chain);
      await withMounted(s, key, (dir) => {
        assert.equal(readFileSync(join(dir, 'etc', 'a'), 'utf8'), 'a\n');
        writeFileSync(join(dir, 'etc', 'a'), 'changed\n');
        unlinkSync(join(dir, 'etc', 'gone'));
        writeFileSync(join(dir, 'new'), 'new\n');
      });
      results.push((await diffSnapshot(s, key)).diffId);
    }
    assert.equal(results[0], results[1], 'deterministic diff');
    const committed = await commitActive(s, 'c1');
    assert.equal(committed.diffId, results[0]);
    // The layer below is untouched (copy-on-write).
    const baseRow = s.stat(chain);
    assert.ok(baseRow);
    assert.equal(readFileSync(join(s.fsDir(baseRow), 'etc', 'a'), 'utf8'), 'a\n');
    // A view of the new layer shows the union: change kept, deletion applied.
    s.view('v', committed.chainId);
    await withMounted(s, 'v', (dir) => {
      assert.equal(readFileSync(join(dir, 'etc', 'a'), 'utf8'), 'changed\n');
      assert.equal(existsSync(join(dir, 'etc', 'gone')), false);
      assert.deepEqual(readdirSync(dir).sort(), ['etc', 'new']);
    });
    // Committing a name that exists (same layer extracted twice) reuses it.
    assert.deepEqual(s.commit(committed.chainId, 'c2'), { existed: true });
    assert.equal(s.stat('c2'), undefined);
    // A parent cannot go while children stack on it.
    assert.throws(() => s.remove(chain), (err) => isStrataError(err, 'failed-precondition'));
    s.remove('v');
    s.remove(committed.chainId);
    s.remove(chain);
    assert.deepEqual(s.records.all(), []);
    assert.deepEqual(readdirSync(s.home), []);
  });
}

test('a layer whose content does not match its diff_id leaves no snapshot behind', async () => {
  const s = open('overlay');
  const tar = await tarOf([{ name: 'f', type: 'file', body: Buffer.from('x') }]);
  await assert.rejects(extractLayer(s, { chainId: `sha256:${'c'.repeat(64)}`, expectedDiffId: `sha256:${'d'.repeat(64)}`, source: Readable.from([tar]) }), /hashes to/);
  assert.deepEqual(s.records.all(), []);
  assert.deepEqual(readdirSync(s.home), []);
});

test('an unsafe layer (path traversal) fails naming the entry and leaves nothing behind', async () => {
  const s = open('overlay');
  const tar = await tarOf([{ name: '../escape', type: 'file', body: Buffer.from('x') }]);
  await assert.rejects(extractLayer(s, { chainId: `sha256:${'e'.repeat(64)}`, source: Readable.from([tar]) }), /escape/);
  assert.deepEqual(s.records.all(), []);
  assert.equal(existsSync(join(s.home, '..', 'escape')), false);
});
