// docker-py (python3-docker), the Python SDK, driving containers through `strata system
// service`: run attached and detached, attach, logs (split streams, timestamps, follow),
// exec_run, put_archive/get_archive, wait, commit, remove. The script prints what it saw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startService } from '../helpers/api-service.ts';
import { BUSYBOX, canRunContainers, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const SCRIPT = fileURLToPath(new URL('./api-clients/docker-py-containers.py', import.meta.url));
const NO_DOCKER_PY = spawnSync('python3', ['-c', 'import docker']).status === 0 ? false : 'python3-docker is not installed (bash scripts/setup.sh --test installs it)';
const skip = NO_DOCKER_PY || (canRunContainers() ? false : 'containers need root and runc');

test('docker-py runs, attaches, reads logs, execs, copies, commits and removes containers', { skip }, async () => {
  const root = storeWithBusybox();
  const service = await startService({ root });
  const r = spawnSync('python3', [SCRIPT, BUSYBOX], { env: { ...process.env, DOCKER_HOST: `unix://${service.socket}` }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    "run b'hello from py\\n'",
    "run failed 4 b'failing\\n'",
    "attach first b'one\\n'",
    "attach second b'two\\n'",
    "logs stdout b'one\\n'",
    "logs stderr b'two\\n'",
    'logs timestamps one',
    "exec 2 b'exec-out\\n'",
    'put_archive True',
    "get_archive py.txt 17 b'put by docker-py\\n'",
    "follow first b'one\\n'",
    "follow rest b'three\\n'",
    "wait {'StatusCode': 0}",
    "commit ['py/committed:1'] b'put by docker-py\\n'",
    'after remove []',
    '',
  ].join('\n'));
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  assert.equal(strata(root, ['system', 'check']).status, 0);
});
