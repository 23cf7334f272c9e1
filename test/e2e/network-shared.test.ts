// Two stores on one host with the same default bridge and subnet (as every store has
// strata0 on 172.17.0.0/16 unless daemon.json says otherwise): containers started at once
// through both get distinct addresses, and a host port published through one store is
// refused through the other, then given back when its container exits on its own. The
// host's ruleset, links and addresses are compared with before once the containers are gone.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { eventually, removeAll, strata, strataAsync, strataOk } from './containers-fixture.ts';
import { canRunNetworks, freePort, holdPort, inspectField, networkStore, pageAt, PAGE, WEB } from './network-fixture.ts';

const skip = canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)';
const SHARED = { bip: '10.215.0.1/24', bridge: 'strshare0' };

describe('two stores on one bridge', { skip }, () => {
  const first = skip ? '' : networkStore(SHARED);
  const second = skip ? '' : networkStore(SHARED);
  // Both stores emptied after each test, even a failed one: the first store's after-hook
  // check would otherwise stop the second's clean-up.
  afterEach(() => {
    if (skip) return;
    removeAll(first);
    removeAll(second);
  });

  test('containers started at once through both stores get distinct addresses', async () => {
    const perStore = 3;
    const runs = [first, second].flatMap((root) => Array.from({ length: perStore }, () => strataAsync(root, ['run', '-d', WEB])));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) assert.equal(r.status, 0, r.stderr);
    const addresses = [first, second].flatMap((root) => strataOk(root, ['ps', '-q']).split('\n').filter(Boolean)
      .map((id) => inspectField(root, id, '{{.NetworkSettings.IPAddress}}')));
    assert.equal(addresses.length, 2 * perStore);
    for (const a of addresses) assert.match(a, /^10\.215\.0\.\d+$/);
    assert.equal(new Set(addresses).size, addresses.length, `addresses: ${addresses.join(' ')}`);
    // Each answers at its own address (two containers on one address would not both).
    for (const a of addresses) assert.equal(await pageAt(a, 80), PAGE, `at ${a}`);
    for (const root of [first, second]) strataOk(root, ['rm', '-f', ...strataOk(root, ['ps', '-q']).split('\n').filter(Boolean)]);
  });

  test('a host port published through one store is refused through the other until its container is gone', async () => {
    const port = await freePort();
    strataOk(first, ['run', '-d', '--name', 'holder', '-p', `${port}:80`, WEB]);
    const r = strata(second, ['run', '-d', '--name', 'taker', '-p', `${port}:80`, WEB]);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
    assert.equal(strataOk(second, ['ps', '-aq']).trim(), '', 'the refused run leaves no container');
    assert.equal(await pageAt('127.0.0.1', port), PAGE, 'the first store\'s container still answers');
    strataOk(first, ['rm', '-f', 'holder']);
    strataOk(second, ['run', '-d', '--name', 'taker', '-p', `${port}:80`, WEB]);
    assert.equal(await pageAt('127.0.0.1', port), PAGE);
    strataOk(second, ['rm', '-f', 'taker']);
  });

  test('a container that exits on its own gives its host port back to the other store', async () => {
    const port = await freePort();
    const id = strataOk(first, ['run', '-d', '--name', 'brief', '-p', `${port}:80`, WEB, 'sh', '-c', 'exit 0']).trim();
    // Its supervisor tears the network down at the exit (its namespace goes last); no command
    // of the first store looks at it before the second store asks for the port.
    await eventually(() => (existsSync(join(first, 'netns', id)) ? undefined : true), 15_000, 'the exit\'s teardown');
    // Its lease no longer speaks for the port: a process that took it since is what refuses it.
    const server = await holdPort(port);
    try {
      const r = strata(second, ['run', '-d', '-p', `${port}:80`, WEB]);
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
    } finally {
      server.close();
    }
    assert.equal(strataOk(second, ['ps', '-aq']).trim(), '', 'the refused run leaves no container');
    strataOk(second, ['run', '-d', '--name', 'after', '-p', `${port}:80`, WEB]);
    assert.equal(await pageAt('127.0.0.1', port), PAGE);
    strataOk(second, ['rm', '-f', 'after']);
    strataOk(first, ['rm', '-f', 'brief']);
  });
});
