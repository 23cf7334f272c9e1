// The service under clients that leave mid-request and clients that come many at once: a
// load or build cut off by its client leaves nothing behind (system check clean), an open
// events stream blocks no one, and the service keeps serving throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiRequest, startService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { storeContents, type StoreContents } from '../helpers/store-contents.ts';
import Sqlite from 'better-sqlite3';
import { STRATA_BIN, strataOk } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));
const service = await startService();
const sock = service.socket;

/** Sends a request's head and the first `sent` bytes of a `body` it announced whole, then hangs up. */
async function cutOff(path: string, body: Buffer, sent: number): Promise<void> {
  const socket = connect(sock);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST ${path} HTTP/1.1\r\nHost: strata\r\nContent-Type: application/x-tar\r\nContent-Length: ${body.length}\r\n\r\n`);
  await new Promise<void>((resolve) => socket.write(body.subarray(0, sent), () => resolve()));
  socket.destroy();
}

/** Waits until the service has no request in flight: its store is then as it will stay. */
async function settled(): Promise<void> {
  // A request sent after the cut-off one is answered after that one's clean-up ran on the same event loop.
  for (let i = 0; i < 5; i++) assert.equal((await apiRequest(sock, 'GET', '/_ping')).status, 200);
}

/** Waits (30 s at most) for the store to hold exactly `before` again, `system check` clean. */
async function backTo(before: StoreContents, what: string): Promise<void> {
  await eventually(() => {
    try {
      return JSON.stringify(storeContents(service.root)) === JSON.stringify(before) ? true : undefined;
    } catch {
      // system check found a leftover: not yet.
      return undefined;
    }
  }, 30_000, what);
}

test('a load whose client hangs up halfway leaves nothing: system check is clean, no image appears', async () => {
  const before = storeContents(service.root);
  const archive = readFileSync(FIXTURE);
  for (const fraction of [0.1, 0.5, 0.9]) {
    await cutOff('/v1.50/images/load', archive, Math.floor(archive.length * fraction));
    await settled();
    // The cut-off load's clean-up may still be under way: wait for its lease and files to go.
    await backTo(before, `the store as before a load cut off at ${fraction * 100}%`);
  }
  assert.equal(strataOk(service.root, ['images', '-q']), '');
  const load = await apiRequest(sock, 'POST', '/v1.50/images/load', archive, { 'Content-Type': 'application/x-tar' });
  assert.equal(load.status, 200);
  assert.equal(strataOk(service.root, ['images', '--format', '{{.Repository}}']), 'strata-fixture/three\nstrata-fixture/two\nstrata-fixture/one\n');
});

test('a build whose client hangs up mid-context runs no step and leaves the store as it was', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'Dockerfile'), 'FROM strata-fixture/one:1\nCOPY big /big\n');
  writeFileSync(join(dir, 'big'), Buffer.alloc(8 * 1024 * 1024, 7));
  const tar = spawnSync('tar', ['-C', dir, '-c', '.']).stdout;
  const before = storeContents(service.root);
  await cutOff('/v1.50/build?t=cut%2Foff', tar, Math.floor(tar.length / 2));
  await settled();
  await backTo(before, 'the store as before the cut-off build');
  assert.equal(strataOk(service.root, ['images', '-q', 'cut/off']), '');
});

test('many clients at once, with an events stream open: every request is answered', async () => {
  const events = connect(sock);
  await new Promise<void>((resolve) => events.once('connect', () => resolve()));
  events.write('GET /v1.50/events HTTP/1.1\r\nHost: strata\r\n\r\n');
  const requests = Array.from({ length: 40 }, (_, i) => (i % 4 === 0
    ? apiRequest(sock, 'GET', '/v1.50/images/json')
    : i % 4 === 1 ? apiRequest(sock, 'GET', '/v1.50/images/strata-fixture%2Fone:1/json')
      : i % 4 === 2 ? apiRequest(sock, 'POST', `/v1.50/images/strata-fixture%2Fone:1/tag?repo=many%2Ftag&tag=t${i}`)
        : apiRequest(sock, 'GET', '/v1.50/info')));
  const answers = await Promise.all(requests);
  assert.deepEqual(answers.map((a) => a.status), Array.from({ length: 40 }, (_, i) => (i % 4 === 2 ? 201 : 200)));
  assert.equal(strataOk(service.root, ['images', '--format', '{{.Tag}}', 'many/tag']).trim().split('\n').length, 10);
  events.destroy();
});

function leaseCount(root: string): number {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM leases').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('kill -9 of the service mid-load: the store opens, system check names only leftovers, --repair clears them', async () => {
  const victim = await startService();
  const archive = readFileSync(FIXTURE);
  const socket = connect(victim.socket);
  // The service dies under it: the reset is expected.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST /v1.50/images/load HTTP/1.1\r\nHost: strata\r\nContent-Type: application/x-tar\r\nContent-Length: ${archive.length}\r\n\r\n`);
  await new Promise<void>((resolve) => socket.write(archive.subarray(0, Math.floor(archive.length * 0.6)), () => resolve()));
  // The load is under way once its lease is in the store.
  await eventually(() => (leaseCount(victim.root) > 0 ? true : undefined), 30_000, 'the load\'s lease');
  victim.child.kill('SIGKILL');
  await victim.stop();
  socket.destroy();
  const check = spawnSync(STRATA_BIN, ['--root', victim.root, 'system', 'check'], { encoding: 'utf8' });
  assert.doesNotMatch(check.stdout, /^problem:/m);
  assert.match(check.stdout, /^leftover: /m);
  assert.match(strataOk(victim.root, ['system', 'check', '--repair']), /^repaired: /m);
  assert.match(strataOk(victim.root, ['system', 'check']), /: OK\n$/);
  assert.equal(strataOk(victim.root, ['images', '-q']), '');
});

test('SIGTERM mid-load: the load is cancelled and cleaned up before the service exits; check is clean', async () => {
  const victim = await startService();
  const archive = readFileSync(FIXTURE);
  const socket = connect(victim.socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST /v1.50/images/load HTTP/1.1\r\nHost: strata\r\nContent-Type: application/x-tar\r\nContent-Length: ${archive.length}\r\n\r\n`);
  await new Promise<void>((resolve) => socket.write(archive.subarray(0, Math.floor(archive.length * 0.6)), () => resolve()));
  await eventually(() => (leaseCount(victim.root) > 0 ? true : undefined), 30_000, 'the load\'s lease');
  assert.equal(await victim.stop(), 0);
  socket.destroy();
  assert.match(strataOk(victim.root, ['system', 'check']), /: OK\n$/);
  assert.equal(strataOk(victim.root, ['images', '-q']), '');
});
