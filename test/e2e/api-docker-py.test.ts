// docker-py (Debian's python3-docker), the Python SDK, against `strata system service`:
// pull from a registry on 127.0.0.1, build from a gzip context, list, history, volumes,
// a missing image's 404, rmi. The script prints what it saw; this test checks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { startRegistry } from '../helpers/registry-server.ts';

const SCRIPT = fileURLToPath(new URL('./api-clients/docker-py-images.py', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));
const NO_DOCKER_PY = spawnSync('python3', ['-c', 'import docker']).status === 0 ? false : 'python3-docker is not installed (bash scripts/setup.sh --test installs it)';

test('docker-py pulls, builds, lists, inspects history, manages volumes', { skip: NO_DOCKER_PY || NO_DOCKER_CLI }, async () => {
  const registry = await startRegistry();
  // The image reaches the registry from a first service (the docker CLI pushes it).
  const source = await startService();
  dockerOk(source.socket, ['load'], { input: readFileSync(FIXTURE) });
  dockerOk(source.socket, ['tag', 'strata-fixture/two:1', `${registry.host}/py/two:1`]);
  dockerOk(source.socket, ['push', `${registry.host}/py/two:1`]);

  const service = await startService();
  const r = spawnSync('python3', [SCRIPT, registry.host, 'py/two'], { env: { ...process.env, DOCKER_HOST: `unix://${service.socket}` }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'ping True',
    'api 1.50',
    `pulled ['${registry.host}/py/two:1']`,
    "built ['py/built:1'] docker-py",
    `logs end Successfully tagged py/built:1`,
    `images ['${registry.host}/py/two:1', 'py/built:1']`,
    "history top ['py/built:1']",
    "volume py-vol {'from': 'python'}",
    "volumes ['py-vol']",
    'volumes after []',
    'missing 404 No such image: py/missing:1',
    `after rmi ['${registry.host}/py/two:1']`,
    '',
  ].join('\n'));
});
