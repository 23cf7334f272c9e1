// Invariant 4: kill -9 at any point leaves a store that opens, passes `system check`, shows
// nothing half-done, and lets the same operation succeed afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { STRATA_BIN, strataOk } from '../helpers/strata-cli.ts';
import { writeBigArchive } from '../helpers/big-archive.ts';

function ingestBytes(root: string): number {
  const dir = join(root, 'content', 'ingest');
  try {
    return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  } catch {
    return 0;
  }
}

test('kill -9 in the middle of loading a 1 GiB archive loses nothing and a second load succeeds', { timeout: 300_000 }, async () => {
  const archive = join(tempDir('strata-big-'), 'big.tar');
  await writeBigArchive(archive, 1024 * 1024 * 1024);
  const root = tempDir();
  strataOk(root, ['images']);
  const child = spawn(STRATA_BIN, ['load', '-i', archive], { env: { ...process.env, STRATA_ROOT: root }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Wait until a good part of the layer is in ingest/, then pull the plug.
  const started = Date.now();
  while (ingestBytes(root) < 200 * 1024 * 1024) {
    if (Date.now() - started > 120_000) throw new Error('load never got going');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(ingestBytes(root) > 0, 'the partial write stayed in ingest/');
  assert.equal(strataOk(root, ['images', '-q']), '', 'nothing half-loaded is listed');
  assert.match(strataOk(root, ['system', 'check']), /OK\n$/);
  assert.equal(strataOk(root, ['load', '-i', archive]), 'Loaded image: big/image:1\n');
  assert.match(strataOk(root, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']), /^big\/image:1 1.07GB\n$/);
  assert.match(strataOk(root, ['system', 'check', '--repair']), /removed 1 partial write/);
  assert.equal(ingestBytes(root), 0);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});
