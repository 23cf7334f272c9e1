// Volumes, networks, system df, events and auth through `strata system service`, driven by
// the docker CLI; malformed bodies and unknown endpoints are 4xx answers that change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { apiRequest, docker, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { storeContents } from '../helpers/store-contents.ts';
import { strataOk } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));
const service = await startService();
const sock = service.socket;

test('docker volume create, ls, inspect, rm, prune; the CLI sees what the service made and the other way round', { skip: NO_DOCKER_CLI }, () => {
  assert.equal(dockerOk(sock, ['volume', 'create', '--label', 'team=api', 'api-vol']), 'api-vol\n');
  strataOk(service.root, ['volume', 'create', 'cli-vol']);
  assert.equal(dockerOk(sock, ['volume', 'ls']), strataOk(service.root, ['volume', 'ls']));
  assert.equal(dockerOk(sock, ['volume', 'ls', '--filter', 'label=team=api', '-q']), 'api-vol\n');
  assert.deepEqual(JSON.parse(dockerOk(sock, ['volume', 'inspect', 'api-vol'])), JSON.parse(strataOk(service.root, ['volume', 'inspect', 'api-vol'])));
  const missing = docker(sock, ['volume', 'rm', 'no-such-vol']);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'Error response from daemon: get no-such-vol: no such volume\n');
  assert.equal(dockerOk(sock, ['volume', 'rm', 'cli-vol']), 'cli-vol\n');
  assert.equal(dockerOk(sock, ['volume', 'prune', '-f']), 'Total reclaimed space: 0B\n', 'named volumes stay without -a');
  assert.equal(dockerOk(sock, ['volume', 'prune', '-a', '-f']), 'Deleted Volumes:\napi-vol\n\nTotal reclaimed space: 0B\n');
  assert.equal(strataOk(service.root, ['volume', 'ls', '-q']), '');
});

test('docker network ls shows the predefined bridge, host and none', { skip: NO_DOCKER_CLI }, () => {
  assert.equal(dockerOk(sock, ['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']), 'bridge bridge local\nhost host local\nnone null local\n');
  assert.equal(dockerOk(sock, ['network', 'inspect', '--format', '{{.Name}}', 'none']), 'none\n');
  assert.equal(docker(sock, ['network', 'inspect', 'nosuch']).status, 1);
});

test('docker system df through the service agrees with the CLI\'s', { skip: NO_DOCKER_CLI }, () => {
  dockerOk(sock, ['load'], { input: readFileSync(FIXTURE) });
  assert.equal(dockerOk(sock, ['system', 'df']), strataOk(service.root, ['system', 'df']));
});

test('docker events: past events with --since/--until, and a follower sees new ones as they happen', { skip: NO_DOCKER_CLI }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  dockerOk(sock, ['volume', 'create', 'evt-vol']);
  dockerOk(sock, ['volume', 'rm', 'evt-vol']);
  const past = dockerOk(sock, ['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=volume', '--filter', 'volume=evt-vol', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}']);
  assert.equal(past, 'volume create evt-vol\nvolume destroy evt-vol\n');
  // A follower, filtered to tags: it gets the tag made after it connected, and nothing else.
  const follower = spawn('docker', ['-H', `unix://${sock}`, 'events', '--filter', 'event=tag', '--format', '{{.Action}} {{index .Actor.Attributes "name"}}']);
  let seen = '';
  follower.stdout.on('data', (c: Buffer) => {
    seen += c.toString();
  });
  // Ready once the service counts it among the followers.
  for (;;) {
    const info = JSON.parse((await apiRequest(sock, 'GET', '/info')).body) as { NEventsListener: number };
    if (info.NEventsListener > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  dockerOk(sock, ['volume', 'create', 'not-a-tag']);
  dockerOk(sock, ['tag', 'strata-fixture/one:1', 'evt/tagged:1']);
  while (!seen.includes('\n')) await new Promise((r) => setTimeout(r, 20));
  follower.kill();
  assert.equal(seen, 'tag evt/tagged:1\n');
});

test('docker login checks credentials with the registry through /auth', { skip: NO_DOCKER_CLI }, async () => {
  const registry = await startRegistry({ auth: { kind: 'htpasswd', users: { alice: 'secret' } } });
  const good = docker(sock, ['login', '-u', 'alice', '--password-stdin', registry.host], { input: 'secret\n' });
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /Login Succeeded/);
  const bad = docker(sock, ['login', '-u', 'alice', '--password-stdin', registry.host], { input: 'wrong\n' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^Error response from daemon: .*(unauthorized|denied|incorrect)/im);
  // Once logged in, the CLI sends the credentials with each push and pull (X-Registry-Auth).
  const config = tempDir();
  const env = { DOCKER_CONFIG: config };
  assert.equal(docker(sock, ['login', '-u', 'alice', '--password-stdin', registry.host], { input: 'secret\n', env }).status, 0);
  dockerOk(sock, ['tag', 'strata-fixture/one:1', `${registry.host}/auth/one:1`]);
  const anonymous = docker(sock, ['push', `${registry.host}/auth/one:1`]);
  assert.equal(anonymous.status, 1, 'no credentials sent: the registry refuses');
  assert.match(anonymous.stderr, /unauthorized|authentication required|no basic auth credentials/i);
  assert.match(docker(sock, ['push', `${registry.host}/auth/one:1`], { env }).stdout, /1: digest: sha256:/);
  dockerOk(sock, ['rmi', `${registry.host}/auth/one:1`]);
  assert.match(docker(sock, ['pull', `${registry.host}/auth/one:1`], { env }).stdout, /Status: Downloaded newer image|Status: Image is up to date/);
});

test('malformed JSON, wrong shapes and unknown endpoints: a 4xx that says what is wrong; nothing changes', { skip: NO_DOCKER_CLI }, async () => {
  const before = storeContents(service.root);
  const cases: [string, string, string | undefined, number, RegExp][] = [
    ['POST', '/v1.50/volumes/create', '{"Name": "x",', 400, /^invalid JSON in request body/],
    ['POST', '/v1.50/volumes/create', '{"Name": 7}', 400, /^invalid Name: a string is expected/],
    ['POST', '/v1.50/volumes/create', '{"Labels": {"a": 1}}', 400, /^invalid Labels/],
    ['GET', '/v1.50/images/json?filters=%7Bbad', undefined, 400, /^invalid JSON in query parameter filters/],
    ['GET', '/v1.50/images/json?filters=%7B%22nope%22%3A%5B%22x%22%5D%7D', undefined, 400, /^invalid filter 'nope'/],
    ['POST', '/v1.50/auth', 'not json', 400, /^invalid JSON in request body/],
    ['GET', '/v1.50/frobnicate', undefined, 404, /^page not found$/],
    ['POST', '/v1.50/images/load', 'definitely not an archive', 400, /./],
    ['POST', '/v1.50/images/create?fromSrc=-&repo=imp%2Fbad', 'not a tar either', 400, /./],
    ['GET', '/v1.50/images/no-such-image/json', undefined, 404, /^No such image: no-such-image/],
  ];
  for (const [method, path, body, status, message] of cases) {
    const r = await apiRequest(sock, method, path, body, { 'Content-Type': 'application/json' });
    assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
    assert.match((JSON.parse(r.body) as { message: string }).message, message, `${method} ${path}`);
  }
  assert.deepEqual(storeContents(service.root), before);
  assert.doesNotMatch(dockerOk(sock, ['volume', 'ls', '-q']), /^x$/m);
});
