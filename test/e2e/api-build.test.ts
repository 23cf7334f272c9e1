// POST /build through `strata system service`, driven by the docker CLI's classic builder
// (DOCKER_BUILDKIT=0: there is no buildx here): a context streamed as a tar, tags, build
// args, labels, -q, a failing Dockerfile; and bad input — a body that is not a tar,
// malformed JSON in a query, unsupported parameters — answered with a 4xx that leaves the
// store as it was while the service keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { apiRequest, docker, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { storeContents } from '../helpers/store-contents.ts';
import { strataOk } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));
const service = await startService();
const sock = service.socket;
if (!NO_DOCKER_CLI) dockerOk(sock, ['load'], { input: readFileSync(FIXTURE) });

function context(dockerfile: string, files: Record<string, string> = {}): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('docker build: the context goes over as a tar; tags, build args and labels reach the image', { skip: NO_DOCKER_CLI }, () => {
  const dir = context('FROM strata-fixture/one:1\nARG MODE=dev\nCOPY app.txt /app.txt\nRUN ["/bin/busybox", "true"]\nLABEL mode=$MODE\n', { 'app.txt': 'hello\n' });
  const out = dockerOk(sock, ['build', '-t', 'api/built:1', '-t', 'api/built:2', '--build-arg', 'MODE=prod', '--label', 'origin=api', dir]);
  const id = strataOk(service.root, ['images', '-q', '--no-trunc', 'api/built:1']).trim();
  assert.match(out, new RegExp(`\nSuccessfully built ${id.slice(7, 19)}\nSuccessfully tagged api/built:1\nSuccessfully tagged api/built:2\n$`));
  assert.equal(strataOk(service.root, ['image', 'inspect', '--format', '{{json .Config.Labels}}', 'api/built:2']), '{"fixture":"one","mode":"prod","origin":"api"}\n');
  // -q prints the ID alone; the unchanged rebuild comes from the cache.
  assert.equal(dockerOk(sock, ['build', '-q', '--build-arg', 'MODE=prod', '--label', 'origin=api', dir]), `${id}\n`);
});

test('a Dockerfile in a subdirectory (-f), and a gzip-compressed context', { skip: NO_DOCKER_CLI }, async () => {
  const dir = context('', { 'f.txt': 'x\n' });
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'Build.file'), 'FROM strata-fixture/two:1\nCOPY f.txt /f.txt\n');
  const id = dockerOk(sock, ['build', '-q', '-f', join(dir, 'sub/Build.file'), dir]).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const tar = spawnSync('tar', ['-C', dir, '-c', '.']).stdout;
  const r = await apiRequest(sock, 'POST', '/v1.50/build?q=1&dockerfile=sub%2FBuild.file', gzipSync(tar), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.trim().split('\r\n').map((l) => JSON.parse(l) as unknown), [{ aux: { ID: id } }, { stream: `${id}\n` }]);
});

test('a failing build: docker exits 1 with BuildKit\'s error; the service keeps serving', { skip: NO_DOCKER_CLI }, () => {
  const r = docker(sock, ['build', context('FROM strata-fixture/one:1\nFROBNICATE now\n')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /failed to solve: Dockerfile:2: unknown instruction: FROBNICATE/);
  const run = docker(sock, ['build', context('FROM strata-fixture/one:1\nRUN ["/bin/busybox", "false"]\n')]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /failed to solve: process "\/bin\/busybox false" did not complete successfully: exit code: 1/);
  assert.equal(dockerOk(sock, ['version', '--format', '{{.Server.APIVersion}}']), '1.50\n');
});

test('bad input to /build is a 4xx naming what is wrong, and changes nothing in the store', async () => {
  const before = storeContents(service.root);
  const cases: [string, string | Buffer, number, RegExp][] = [
    ['/v1.50/build', 'this is not a tar archive at all'.repeat(20), 400, /^the build context in the request body is not a tar archive/],
    ['/v1.50/build', Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0]), 400, /the build context/],
    ['/v1.50/build?buildargs=%7Bnot-json', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 400, /^invalid JSON in query parameter buildargs/],
    ['/v1.50/build?memory=1000000', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 400, /^build parameter memory=1000000 is not supported/],
    ['/v1.50/build?t=api%2FUPPER', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 400, /^invalid tag "api\/UPPER": .*must be lowercase/],
    ['/v1.50/build?version=2', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 501, /BuildKit builds \(version=2\) are not supported/],
  ];
  for (const [path, body, status, message] of cases) {
    const r = await apiRequest(sock, 'POST', path, body, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, status, `${path}: ${r.body}`);
    assert.match((JSON.parse(r.body) as { message: string }).message, message);
  }
  assert.deepEqual(storeContents(service.root), before);
  assert.equal((await apiRequest(sock, 'GET', '/_ping')).body, 'OK');
});

test('docker builder prune through the service removes the cache the service\'s builds made', { skip: NO_DOCKER_CLI }, () => {
  const dir = context('FROM strata-fixture/two:1\nRUN ["/bin/busybox", "sh", "-c", "echo pruned > /p"]\n');
  dockerOk(sock, ['build', '-q', '-t', 'api/prune-me:1', dir]);
  dockerOk(sock, ['rmi', 'api/prune-me:1']);
  const out = dockerOk(sock, ['builder', 'prune', '-f', '-a']);
  assert.match(out, /^Deleted build cache objects:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: \d/);
  assert.match(strataOk(service.root, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']), /^Build Cache 0$/m);
  const refused = docker(sock, ['builder', 'prune', '-f', '--filter', 'until=24h']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /build cache filter 'until' is not supported/);
});
