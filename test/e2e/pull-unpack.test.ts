// A pulled image's layers are extracted into snapshots while they download (both drivers):
// `image mount` shows the union right after the pull, with whiteouts applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata } from '../helpers/strata-cli.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { makeImage, makeLayer, RawRegistry } from '../helpers/registry-images.ts';

for (const driver of ['overlay', 'native']) {
  test(`pulled layers are extracted as they arrive (${driver} driver)`, async () => {
    const registry = await startRegistry();
    const raw = new RawRegistry(registry.url);
    const base = await makeLayer({ 'etc/a': 'base a\n', 'etc/gone': 'to be deleted\n' });
    const top = await makeLayer({ 'etc/a': 'top a\n', 'etc/.wh.gone': '' });
    await raw.pushImage('test/unpack', 'v1', makeImage([base, top]));
    const root = tempDir();
    const env = { STRATA_STORAGE_DRIVER: driver };
    const ref = `${registry.host}/test/unpack:v1`;
    const pulled = strata(root, ['pull', '-q', ref], { env });
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal(readdirSync(join(root, 'snapshots', driver)).length, 2, 'both layers extracted by the pull itself');
    const mounted = strata(root, ['image', 'mount', ref], { env });
    assert.equal(mounted.status, 0, mounted.stderr);
    const path = mounted.stdout.trim();
    try {
      assert.equal(readFileSync(join(path, 'etc', 'a'), 'utf8'), 'top a\n');
      assert.equal(existsSync(join(path, 'etc', 'gone')), false);
    } finally {
      strata(root, ['image', 'unmount', ref], { env });
    }
    // The layers were extracted during the pull: mounting needed no blob reads, and a second pull finds them.
    const again = strata(root, ['pull', ref], { env });
    assert.match(again.stdout, /Image is up to date/);
  });
}
