// docker-compose 1.29 (Debian's) against `strata system service`: `up -d`, `ps`, `logs`,
// `exec` and `down -v` of a two-service project on compose's default network, a busybox
// httpd and a client that fetches from it by its service name (aardvark-dns), with a volume.
// Afterwards the host's nft ruleset, links and addresses are as before (network-fixture.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk } from './containers-fixture.ts';
import { canRunNetworks, networkStore, PAGE, WEB } from './network-fixture.ts';

const NO_COMPOSE = spawnSync('docker-compose', ['version']).status === 0 ? false : 'docker-compose is not installed (bash scripts/setup.sh --test installs it)';
const skip = NO_COMPOSE || (canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)');

describe('docker-compose through the service', { skip }, () => {
  const root = skip ? '' : networkStore({ bip: '10.229.0.1/24', bridge: 'strtest5' });

  test('docker-compose up -d, ps, logs, exec and down -v of a web server and its client on the default network', async () => {
    const service = await startService({ root });
    const dir = tempDir();
    writeFileSync(join(dir, 'docker-compose.yml'), [
      'version: "2.4"',
      'services:',
      '  web:',
      `    image: ${WEB}`,
      '  client:',
      `    image: ${WEB}`,
      '    depends_on: [web]',
      '    command: ["sh", "-c", "until wget -qO- http://web/ > /data/got; do sleep 0.1; done; cat /data/got; exec sleep 300"]',
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
    assert.match(up.stderr, /Creating network "cproj_default" with the default driver/);
    assert.match(up.stderr, /Creating volume "cproj_data" with default driver/);
    assert.equal(strataOk(root, ['ps', '--format', '{{.Names}} {{.Networks}}']).split('\n').filter(Boolean).sort().join(', '), 'cproj_client_1 cproj_default, cproj_web_1 cproj_default');

    const ps = compose(['ps']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.match(ps.stdout, /^cproj_client_1 .* Up /m);
    assert.match(ps.stdout, /^cproj_web_1 .* Up .*80\/tcp/m);

    const logs = await eventually(() => {
      const r = compose(['logs', '--no-color', 'client']);
      return r.stdout.includes(PAGE) ? r.stdout : undefined;
    }, 30_000, 'the client\'s fetch in its log');
    assert.match(logs, new RegExp(`^client_1 +\\| ${PAGE.trim()}$`, 'm'));
    const exec = compose(['exec', '-T', 'client', 'cat', '/data/got']);
    assert.deepEqual([exec.status, exec.stdout], [0, PAGE]);

    const down = compose(['down', '-v']);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stderr, /Removing network cproj_default/);
    assert.match(down.stderr, /Removing volume cproj_data/);
    assert.equal(strataOk(root, ['ps', '-aq']), '');
    assert.equal(strataOk(root, ['volume', 'ls', '-q']), '');
    assert.equal(strataOk(root, ['network', 'ls', '-q', '--filter', 'type=custom']), '');
    assert.equal(strata(root, ['system', 'check']).status, 0);
  });
});
