// Two stores on one host, each with its default network `bridge` on a bridge and subnet of
// its own (as `--root` and a daemon.json each give): netavark must keep them apart. It names
// its firewall chains after the network's name, so strata gives it the bridge's (unique on
// the host): the last container of one store must not take the other's outbound NAT with it.
// Outbound NAT is checked by its rules, never by reaching outside.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { strataOk } from './containers-fixture.ts';
import { canRunNetworks, networkStore, WEB } from './network-fixture.ts';

const skip = canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)';

/** The NAT rules that masquerade `subnet`'s traffic out: the jump from POSTROUTING and the MASQUERADE in its chain. */
function masquerades(subnet: string): boolean {
  const nat = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
  const chain = new RegExp(`^-A POSTROUTING -s ${subnet.replace(/\./g, '\\.')} -j (NETAVARK-[0-9A-F]+)$`, 'm').exec(nat)?.[1];
  return chain !== undefined && new RegExp(`^-A ${chain} ! -d 224\\.0\\.0\\.0/4 -j MASQUERADE$`, 'm').test(nat);
}

describe('two stores, each with its own default bridge', { skip }, () => {
  const first = skip ? '' : networkStore({ bip: '10.232.0.1/24', bridge: 'strtest8' });
  const secondConfig = skip ? '' : join(first, '..', 'second-daemon.json');

  test('removing one store\'s last container leaves the other\'s NAT in place', () => {
    writeFileSync(secondConfig, JSON.stringify({ bip: '10.233.0.1/24', bridge: 'strtest9' }));
    const second = join(first, '..', 'second-store');
    const inSecond = (args: string[]): string => execFileSync('bin/strata', ['--root', second, ...args], { encoding: 'utf8', env: { ...process.env, STRATA_DAEMON_CONFIG: secondConfig } });
    strataOk(first, ['save', '-o', join(first, '..', 'web.tar'), WEB]);
    inSecond(['load', '-i', join(first, '..', 'web.tar')]);
    const a = strataOk(first, ['run', '-d', WEB]).trim();
    const b = inSecond(['run', '-d', WEB]).trim();
    try {
      assert.ok(masquerades('10.232.0.0/24') && masquerades('10.233.0.0/24'), 'both subnets are masqueraded while their containers run');
      strataOk(first, ['rm', '-f', a]);
      assert.ok(masquerades('10.233.0.0/24'), 'the second store\'s container still has its outbound NAT');
      assert.ok(!masquerades('10.232.0.0/24'), 'the first store\'s rules went with its last container');
    } finally {
      inSecond(['rm', '-f', b]);
    }
  });
});
