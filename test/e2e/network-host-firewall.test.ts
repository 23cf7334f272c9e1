// A host that has a firewall of its own: the iptables tables netavark uses exist before the
// first container, with the host's rules in them. When the last container goes, strata must
// take out only what netavark added (its chains, its jumps, the built-in chains iptables made
// for them) and leave the host's tables and rules exactly as they were; on a host without
// them (every other network test) the tables it made go whole. The rules added here match
// only 192.0.2.0/24 (TEST-NET-1), so they change no traffic of this machine.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { strataOk } from './containers-fixture.ts';
import { canRunNetworks, hostNetwork, networkStore, pageAt, PAGE, WEB } from './network-fixture.ts';

const skip = canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)';

const HOST_RULES: Array<[table: string, chain: string, rule: string[]]> = [
  ['filter', 'INPUT', ['-s', '192.0.2.1/32', '-m', 'comment', '--comment', 'strata test: a host firewall', '-j', 'DROP']],
  ['nat', 'POSTROUTING', ['-s', '192.0.2.0/24', '-m', 'comment', '--comment', 'strata test: a host NAT rule', '-j', 'RETURN']],
];

const tableExists = (family: string, table: string): boolean => spawnSync('nft', ['list', 'table', family, table], { stdio: 'ignore' }).status === 0;

describe('published ports on a host with its own firewall', { skip }, () => {
  const root = skip ? '' : networkStore({ bip: '10.231.0.1/24', bridge: 'strtest7' });

  test('the last container removed leaves the host\'s own tables and rules as they were', async () => {
    const hadTables = { filter: tableExists('ip', 'filter'), nat: tableExists('ip', 'nat') };
    try {
      for (const [table, chain, rule] of HOST_RULES) execFileSync('iptables', ['-t', table, '-A', chain, ...rule]);
      const before = hostNetwork();

      const id = strataOk(root, ['run', '-d', '-p', '127.0.0.1::80', WEB]).trim();
      const port = Number(strataOk(root, ['port', id, '80/tcp']).trim().split(':').pop());
      assert.equal(await pageAt('127.0.0.1', port), PAGE, 'the published port answers');
      const during = execFileSync('iptables-save', { encoding: 'utf8' });
      assert.match(during, /NETAVARK/, 'netavark\'s rules are in the host\'s tables while the container runs');
      for (const [, , rule] of HOST_RULES) assert.ok(during.includes(rule[5]!), 'the host\'s rules stay meanwhile');

      strataOk(root, ['rm', '-f', id]);
      const after = hostNetwork();
      assert.equal(after.ruleset, before.ruleset, 'only netavark\'s chains and rules are gone');
      assert.equal(after.links, before.links);
      assert.equal(after.addresses, before.addresses);
    } finally {
      for (const [table, chain, rule] of HOST_RULES) spawnSync('iptables', ['-t', table, '-D', chain, ...rule], { stdio: 'ignore' });
      for (const table of ['filter', 'nat'] as const) if (!hadTables[table]) spawnSync('nft', ['delete', 'table', 'ip', table], { stdio: 'ignore' });
    }
  });
});
