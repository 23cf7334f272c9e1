// The image endpoints driven by the real docker CLI (28) through `strata system service`:
// load (streamed), images, history, inspect, tag, rmi, prune, save, pull and push with a
// registry on 127.0.0.1; what the service shows is what the CLI shows on the same store,
// and each sees the other's changes at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docker, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));
const service = await startService();
const sock = service.socket;

test('docker load through the service, then images, history and inspect as the CLI prints them', { skip: NO_DOCKER_CLI }, () => {
  assert.equal(dockerOk(sock, ['load'], { input: readFileSync(FIXTURE) }),
    'Loaded image: strata-fixture/one:1\nLoaded image: strata-fixture/two:1\nLoaded image: strata-fixture/three:1\n');
  assert.equal(dockerOk(sock, ['images']), strataOk(service.root, ['images']));
  assert.equal(dockerOk(sock, ['images', '-a', '--digests', '--no-trunc']), strataOk(service.root, ['images', '-a', '--digests', '--no-trunc']));
  assert.equal(dockerOk(sock, ['images', '--filter', 'reference=*/two']), strataOk(service.root, ['images', '--filter', 'reference=*/two']));
  assert.equal(dockerOk(sock, ['history', '--no-trunc', 'strata-fixture/three:1']), strataOk(service.root, ['history', '--no-trunc', 'strata-fixture/three:1']));
  assert.deepEqual(JSON.parse(dockerOk(sock, ['image', 'inspect', 'strata-fixture/two:1'])), JSON.parse(strataOk(service.root, ['image', 'inspect', 'strata-fixture/two:1'])));
});

test('tag and rmi through the service; the CLI sees them at once, and the service sees the CLI\'s', { skip: NO_DOCKER_CLI }, () => {
  dockerOk(sock, ['tag', 'strata-fixture/one:1', 'api/tagged:v1']);
  assert.match(strataOk(service.root, ['images', '--format', '{{.Repository}}:{{.Tag}}']), /^api\/tagged:v1$/m);
  strataOk(service.root, ['tag', 'strata-fixture/one:1', 'cli/tagged:v2']);
  assert.match(dockerOk(sock, ['images', '--format', '{{.Repository}}:{{.Tag}}']), /^cli\/tagged:v2$/m);
  assert.equal(dockerOk(sock, ['rmi', 'api/tagged:v1', 'cli/tagged:v2']), 'Untagged: api/tagged:v1\nUntagged: cli/tagged:v2\n');
  const missing = docker(sock, ['rmi', 'no/such:image']);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'Error response from daemon: No such image: no/such:image\n');
  assert.equal(strata(service.root, ['image', 'inspect', 'api/tagged:v1']).status, 1);
});

test('docker save through the service is an archive strata loads into another store', { skip: NO_DOCKER_CLI }, () => {
  const saved = tempDir();
  dockerOk(sock, ['save', '-o', `${saved}/two.tar`, 'strata-fixture/two:1']);
  const other = tempDir();
  assert.equal(strataOk(other, ['load', '-i', `${saved}/two.tar`]), 'Loaded image: strata-fixture/two:1\n');
  assert.equal(strataOk(other, ['images', '-q', '--no-trunc']), `${dockerOk(sock, ['images', '-q', '--no-trunc', 'strata-fixture/two:1'])}`);
});

test('push to and pull from a registry on 127.0.0.1, with docker\'s progress lines', { skip: NO_DOCKER_CLI }, async () => {
  const registry = await startRegistry();
  const name = `${registry.host}/api/two:1`;
  dockerOk(sock, ['tag', 'strata-fixture/two:1', name]);
  const pushed = dockerOk(sock, ['push', name]);
  assert.match(pushed, new RegExp(`^The push refers to repository \\[${registry.host}/api/two\\]\n`));
  assert.match(pushed, /\n1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
  // A second store pulls it through a second service.
  const puller = await startService();
  const pulled = dockerOk(puller.socket, ['pull', name]);
  assert.match(pulled, /^1: Pulling from api\/two\n/);
  assert.match(pulled, new RegExp(`\nStatus: Downloaded newer image for ${registry.host}/api/two:1\n${registry.host}/api/two:1\n$`));
  assert.equal(dockerOk(puller.socket, ['images', '-q', '--no-trunc', name]), dockerOk(sock, ['images', '-q', '--no-trunc', 'strata-fixture/two:1']));
  assert.match(dockerOk(puller.socket, ['pull', name]), /Status: Image is up to date/);
  const absent = docker(puller.socket, ['pull', `${registry.host}/api/absent:1`]);
  assert.equal(absent.status, 1);
  assert.match(absent.stderr, /^Error response from daemon: .*not found/m);
  assert.equal(strataOk(puller.root, ['system', 'check']).trim().split('\n').at(-1)?.endsWith('OK'), true);
});

test('image prune through the service', { skip: NO_DOCKER_CLI }, () => {
  dockerOk(sock, ['tag', 'strata-fixture/one:1', 'prune/me:1']);
  dockerOk(sock, ['rmi', 'prune/me:1']);
  assert.equal(dockerOk(sock, ['image', 'prune', '-f']), 'Total reclaimed space: 0B\n');
  const all = dockerOk(sock, ['image', 'prune', '-a', '-f']);
  assert.match(all, /^Deleted Images:\n(.*\n)*untagged: strata-fixture\/one:1\n(.*\n)*Total reclaimed space: 1\.98\dMB\n$/);
  assert.equal(strataOk(service.root, ['images', '-q']), '');
});

test('docker import through the service (fromSrc=-): the tar body becomes a one-layer image, with --change and -m', () => {
  const dir = tempDir();
  const rootfs = `${dir}/rootfs`;
  spawnSync('mkdir', ['-p', `${rootfs}/etc`]);
  writeFileSync(`${rootfs}/etc/greeting`, 'imported\n');
  const tar = spawnSync('tar', ['-C', rootfs, '-c', '.']).stdout;
  const id = dockerOk(sock, ['import', '-c', 'CMD ["/bin/sh"]', '-m', 'from the API', '-', 'api/imported:1'], { input: tar }).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(strataOk(service.root, ['images', '-q', '--no-trunc', 'api/imported:1']), `${id}\n`);
  assert.equal(strataOk(service.root, ['image', 'inspect', '--format', '{{json .Config.Cmd}} {{.Comment}}', 'api/imported:1']), '["/bin/sh"] from the API\n');
});
