// docker-compose 1.29 (Debian's) against `strata system service`: `up -d`, `ps`, `logs`,
// `exec` and `down -v` of a two-service project, a busybox httpd and a client that fetches
// from it, both with network_mode: host (strata has no bridge network yet), and a volume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, canRunContainers, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const NO_COMPOSE = spawnSync('docker-compose', ['version']).status === 0 ? false : 'docker-compose is not installed (bash scripts/setup.sh --test installs it)';
const skip = NO_COMPOSE || (canRunContainers() ? false : 'containers need root and runc');

/** A loopback port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('docker-compose up -d, ps, logs, exec and down -v of a web server and its client', { skip }, async () => {
  const root = storeWithBusybox();
  const service = await startService({ root });
  const port = await freePort();
  const dir = tempDir();
  writeFileSync(join(dir, 'docker-compose.yml'), [
    'version: "2.4"',
    'services:',
    '  web:',
    `    image: ${BUSYBOX}`,
    '    network_mode: host',
    `    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www"]`,
    '  client:',
    `    image: ${BUSYBOX}`,
    '    network_mode: host',
    '    depends_on: [web]',
    `    command: ["sh", "-c", "until wget -qO- http://127.0.0.1:${port}/ > /data/got; do sleep 0.1; done; cat /data/got; exec sleep 300"]`,
    '    volumes:',
    '      - data:/data',
    'volumes:',
    '  data:',
    '',
  ].join('\n'));
  const compose = (args: string[]): { status: number; stdout: string; stderr: string } => {
    const r = spawnSync('docker-compose', ['-p', 'cproj', ...args], {
      cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DOCKER_HOST: `unix://${service.socket}`, COMPOSE_INTERACTIVE_NO_CLI: '1' },
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const up = compose(['up', '-d']);
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stderr, /Creating volume "cproj_data" with default driver/);
  assert.equal(strataOk(root, ['ps', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort().join(' '), 'cproj_client_1 cproj_web_1');

  const ps = compose(['ps']);
  assert.equal(ps.status, 0, ps.stderr);
  assert.match(ps.stdout, /^cproj_client_1 .* Up *$/m);
  assert.match(ps.stdout, /^cproj_web_1 .* Up *$/m);

  const logs = await eventually(() => {
    const r = compose(['logs', '--no-color', 'client']);
    return r.stdout.includes('hello-from-web') ? r.stdout : undefined;
  }, 30_000, 'the client\'s fetch in its log');
  assert.match(logs, /^client_1 +\| hello-from-web$/m);
  const exec = compose(['exec', '-T', 'client', 'cat', '/data/got']);
  assert.deepEqual([exec.status, exec.stdout], [0, 'hello-from-web\n']);

  const down = compose(['down', '-v']);
  assert.equal(down.status, 0, down.stderr);
  assert.match(down.stderr, /Removing volume cproj_data/);
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), '');
  assert.equal(strata(root, ['system', 'check']).status, 0);
});
