// `strata system service`: the socket (atomic, 0660, one service per socket), version
// negotiation and errors as dockerd answers them, and the docker CLI's version and info.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiRequest, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { STRATA_BIN } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const service = await startService();

test('the socket is mode 0660 and a second service on it refuses to start', () => {
  assert.equal(statSync(service.socket).mode & 0o777, 0o660);
  assert.ok(statSync(service.socket).isSocket());
  const second = spawnSync(STRATA_BIN, ['--root', service.root, 'system', 'service', '-H', `unix://${service.socket}`]);
  assert.equal(second.status, 1);
  assert.match(second.stderr.toString(), new RegExp(`^Error: another service is already listening on unix://${service.socket}\n`));
});

test('/_ping answers GET and HEAD with the version headers docker clients read', async () => {
  for (const method of ['GET', 'HEAD']) {
    const r = await apiRequest(service.socket, method, '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.body, method === 'GET' ? 'OK' : '');
    assert.equal(r.headers['api-version'], '1.50');
    assert.equal(r.headers['ostype'], 'linux');
    assert.equal(r.headers['builder-version'], '1');
  }
});

test('versioned and unversioned paths; dockerd\'s too-new, too-old and unknown-endpoint errors', async () => {
  for (const path of ['/version', '/v1.50/version', '/v1.24/version']) {
    const r = await apiRequest(service.socket, 'GET', path);
    assert.equal(r.status, 200, path);
    assert.equal((JSON.parse(r.body) as { ApiVersion: string }).ApiVersion, '1.50');
  }
  assert.deepEqual(await apiRequest(service.socket, 'GET', '/v1.51/version').then((r) => [r.status, JSON.parse(r.body)]),
    [400, { message: 'client version 1.51 is too new. Maximum supported API version is 1.50' }]);
  assert.deepEqual(await apiRequest(service.socket, 'GET', '/v1.23/version').then((r) => [r.status, JSON.parse(r.body)]),
    [400, { message: 'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version' }]);
  assert.deepEqual(await apiRequest(service.socket, 'GET', '/v1.50/no/such/thing').then((r) => [r.status, JSON.parse(r.body)]),
    [404, { message: 'page not found' }]);
});

test('an oversized header is a 431 that says why, and the service keeps serving', async () => {
  const r = await apiRequest(service.socket, 'GET', '/_ping', undefined, { 'X-Big': 'x'.repeat(100 * 1024) });
  assert.equal(r.status, 431);
  assert.match(JSON.parse(r.body).message as string, /request header is larger than/);
  assert.equal((await apiRequest(service.socket, 'GET', '/_ping')).status, 200);
});

test('docker version and docker info through the service', { skip: NO_DOCKER_CLI }, () => {
  assert.equal(dockerOk(service.socket, ['version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}']), '1.50 1.24 1.50\n');
  assert.equal(dockerOk(service.socket, ['info', '--format', '{{.Images}} {{.DockerRootDir}} {{.OSType}}']), `0 ${service.root} linux\n`);
});

test('--timeout: the service exits after that many idle seconds and removes its socket', async () => {
  const dir = tempDir();
  const socket = join(dir, 'idle.sock');
  const idle = spawnSync(STRATA_BIN, ['--root', join(dir, 'store'), 'system', 'service', '-H', `unix://${socket}`, '--timeout', '1']);
  assert.equal(idle.status, 0, idle.stderr.toString());
  assert.match(idle.stderr.toString(), /no connection for 1s: exiting/);
  assert.throws(() => statSync(socket), /ENOENT/);
});

test('a stale socket file (its service died) is replaced; a path that is not a socket is refused', async () => {
  const dir = tempDir();
  const file = join(dir, 'not-a-socket');
  writeFileSync(file, 'x');
  const r = spawnSync(STRATA_BIN, ['--root', join(dir, 'store'), 'system', 'service', '-H', `unix://${file}`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr.toString(), /the path exists and is not a socket/);
  const killed = await startService();
  killed.child.kill('SIGKILL');
  await killed.stop();
  assert.ok(statSync(killed.socket).isSocket(), 'kill -9 leaves the socket file');
  const next = await startService({ socket: killed.socket, root: killed.root });
  assert.equal((await apiRequest(next.socket, 'GET', '/_ping')).body, 'OK');
});

const NO_SOCKET_ACTIVATE = spawnSync('systemd-socket-activate', ['--help']).status === 0 ? false : 'systemd-socket-activate (package systemd) is not installed';

test('-H fd://: socket activation as systemd does it (the service starts on the first connection)', { skip: NO_SOCKET_ACTIVATE }, async () => {
  const dir = tempDir();
  const socket = join(dir, 'activated.sock');
  const { spawn } = await import('node:child_process');
  const activator = spawn('systemd-socket-activate', ['-l', socket, STRATA_BIN, '--root', join(dir, 'store'), 'system', 'service', '-H', 'fd://', '--timeout', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  activator.stderr.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => activator.once('exit', resolve));
  while (!log.includes('Listening on')) await new Promise((r) => setTimeout(r, 20));
  const r = await apiRequest(socket, 'GET', '/_ping');
  assert.equal(r.body, 'OK');
  assert.equal(await exited, 0, log);
  assert.match(log, /API listening on fd:\/\/\n/);
});

test('-H fd:// without socket activation is refused, saying why', () => {
  const r = spawnSync(STRATA_BIN, ['--root', tempDir(), 'system', 'service', '-H', 'fd://']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.toString(), 'Error: -H fd:// needs socket activation: no sockets were passed (LISTEN_FDS, LISTEN_PID)\n');
});

test('-H tcp:// only when asked, with the warning that the port gives root; the unix socket beside it', async () => {
  const both = await startService({ args: ['-H', 'tcp://127.0.0.1:0'] });
  await eventually(() => (/API listening on tcp:\/\/127\.0\.0\.1:\d+\n/.test(both.log()) ? true : undefined), 10_000, 'the tcp listener');
  assert.match(both.log(), /^WARNING: API is accessible on http:\/\/127\.0\.0\.1:[1-9]\d* without encryption\.\n {9}Access to the remote API is equivalent to root access on the host\./m);
  const port = Number(/API listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(both.log())?.[1]);
  const viaTcp = await fetch(`http://127.0.0.1:${port}/_ping`);
  assert.equal(await viaTcp.text(), 'OK');
  assert.equal((await apiRequest(both.socket, 'GET', '/_ping')).body, 'OK');
  assert.doesNotMatch(service.log(), /tcp:\/\//, 'no TCP unless asked');
});
