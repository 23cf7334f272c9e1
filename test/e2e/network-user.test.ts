// User-defined networks: `network create/ls/inspect/rm/prune` with docker's output and
// errors, names, short IDs and aliases resolved by aardvark-dns (and none on the default
// bridge), --internal without NAT, and 20 containers started at once getting 20 distinct
// addresses. Traffic goes only to the test's own containers; the host's ruleset, links and
// addresses are compared with before at the end.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { strata, strataAsync, strataOk } from './containers-fixture.ts';
import { canRunNetworks, inspectField, networkStore, PAGE, WEB } from './network-fixture.ts';

const skip = canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)';

describe('user-defined networks', { skip }, () => {
  const root = skip ? '' : networkStore({ bip: '10.216.0.1/24', bridge: 'strtest1' });

  test('create, ls, inspect, rm: docker\'s columns, JSON and errors', () => {
    const id = strataOk(root, ['network', 'create', '--subnet', '10.217.0.0/24', '--gateway', '10.217.0.254', '--label', 'tier=back', 'tn1']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ls = strataOk(root, ['network', 'ls']);
    assert.match(ls, /^NETWORK ID {5}NAME {6}DRIVER {4}SCOPE\n/);
    assert.match(ls, new RegExp(`^${id.slice(0, 12)} {3}tn1 {7}bridge {4}local$`, 'm'));
    assert.match(ls, /^[0-9a-f]{12} {3}none {6}null {6}local$/m);
    assert.equal(strataOk(root, ['network', 'ls', '--filter', 'label=tier=back', '--format', '{{.Name}} {{.Driver}} {{.Internal}}']), 'tn1 bridge false\n');
    assert.equal(strataOk(root, ['network', 'ls', '-q', '--filter', 'name=tn1']).trim(), id.slice(0, 12));
    const [doc] = JSON.parse(strataOk(root, ['network', 'inspect', 'tn1'])) as Array<Record<string, unknown>>;
    assert.equal(doc!['Name'], 'tn1');
    assert.equal(doc!['Id'], id);
    assert.deepEqual(doc!['IPAM'], { Driver: 'default', Options: {}, Config: [{ Subnet: '10.217.0.0/24', Gateway: '10.217.0.254' }] });
    assert.deepEqual(doc!['Labels'], { 'tier': 'back' });
    for (const [args, message] of [
      [['network', 'create', 'tn1'], /network with name tn1 already exists/],
      [['network', 'create', '--subnet', '10.217.0.128/25', 'tn2'], /Pool overlaps with other one on this address space/],
      [['network', 'create', '--subnet', '10.218.0.0/24', '--gateway', '10.219.0.1', 'tn2'], /invalid --gateway 10\.219\.0\.1/],
      [['network', 'create', '--subnet', '10.218.0.0/33', 'tn2'], /invalid --subnet 10\.218\.0\.0\/33/],
      [['network', 'create', '-d', 'overlay', 'tn2'], /plugin "overlay" not found/],
      [['network', 'rm', 'bridge'], /bridge is a pre-defined network and cannot be removed/],
      [['network', 'rm', 'nosuch'], /network nosuch not found/],
      [['network', 'inspect', 'nosuch'], /network nosuch not found/],
    ] as const) {
      const r = strata(root, [...args]);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.doesNotMatch(strataOk(root, ['network', 'ls']), /tn2/, 'nothing half-made');
    assert.equal(strataOk(root, ['network', 'rm', 'tn1']), 'tn1\n');
  });

  test('containers find each other by name, short ID and alias on a user network; not on the default bridge', () => {
    strataOk(root, ['network', 'create', '--subnet', '10.220.0.0/24', 'tn3']);
    const id = strataOk(root, ['run', '-d', '--name', 'srv', '--network', 'tn3', '--network-alias', 'web', WEB]).trim();
    // (busybox's static wget crashes with -T; a name that doesn't resolve fails at once anyway)
    const fetch = (host: string): string => `wget -q -O- http://${host}/`;
    const script = [fetch('srv'), fetch('web'), fetch(id.slice(0, 12))].join(' && ');
    assert.equal(strataOk(root, ['run', '--rm', '--network', 'tn3', WEB, 'sh', '-c', script]), PAGE.repeat(3));
    assert.equal(inspectField(root, 'srv', '{{json .NetworkSettings.Networks.tn3.Aliases}}'), '["web"]');
    const [doc] = JSON.parse(strataOk(root, ['network', 'inspect', 'tn3'])) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
    assert.equal(doc!.Containers[id]?.Name, 'srv');
    assert.match(doc!.Containers[id]?.IPv4Address ?? '', /^10\.220\.0\.\d+\/24$/);
    const inUse = strata(root, ['network', 'rm', 'tn3']);
    assert.equal(inUse.status, 1);
    assert.match(inUse.stderr, /has active endpoints/);

    strataOk(root, ['run', '-d', '--name', 'plain', WEB]);
    // --dns 127.0.0.1: no resolver, so no query leaves for the host's; only /etc/hosts could name it.
    const r = strata(root, ['run', '--rm', '--dns', '127.0.0.1', WEB, 'sh', '-c', 'wget -q -O- http://plain/']);
    assert.notEqual(r.status, 0, 'the default bridge resolves no container names');
    assert.match(r.stderr, /bad address 'plain'/);
    strataOk(root, ['rm', '-f', 'srv', 'plain']);
    assert.equal(strataOk(root, ['network', 'rm', 'tn3']), 'tn3\n');
  });

  test('an --internal network has no NAT rule and no route out', () => {
    strataOk(root, ['network', 'create', '--internal', '--subnet', '10.221.0.0/24', 'tin']);
    strataOk(root, ['network', 'create', '--subnet', '10.222.0.0/24', 'tout']);
    strataOk(root, ['run', '-d', '--name', 'in1', '--network', 'tin', WEB]);
    strataOk(root, ['run', '-d', '--name', 'out1', '--network', 'tout', WEB]);
    const nat = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
    assert.match(nat, /-s 10\.222\.0\.0\/24 -j NETAVARK-/, 'the other network is masqueraded');
    assert.doesNotMatch(nat, /10\.221\.0\./, 'no NAT rule names the internal network');
    assert.doesNotMatch(strataOk(root, ['exec', 'in1', 'ip', 'route']), /^default/m);
    assert.match(strataOk(root, ['exec', 'out1', 'ip', 'route']), /^default via 10\.222\.0\.1/m);
    assert.equal(strataOk(root, ['network', 'inspect', '--format', '{{.Internal}}', 'tin']), 'true\n');
    strataOk(root, ['rm', '-f', 'in1', 'out1']);
    assert.equal(strataOk(root, ['network', 'prune', '-f']), 'Deleted Networks:\ntin\ntout\n\n');
  });

  test('20 containers started at once on one network get 20 distinct addresses', async () => {
    strataOk(root, ['network', 'create', '--subnet', '10.223.0.0/24', 'tmany']);
    const runs = Array.from({ length: 20 }, (_, i) => strataAsync(root, ['run', '-d', '--name', `m${i}`, '--network', 'tmany', WEB, 'sleep', '300']));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) assert.equal(r.status, 0, r.stderr);
    const ips = Array.from({ length: 20 }, (_, i) => inspectField(root, `m${i}`, '{{.NetworkSettings.Networks.tmany.IPAddress}}'));
    for (const ip of ips) assert.match(ip, /^10\.223\.0\.\d+$/);
    assert.equal(new Set(ips).size, 20, ips.join(' '));
    strataOk(root, ['rm', '-f', ...Array.from({ length: 20 }, (_, i) => `m${i}`)]);
    strataOk(root, ['network', 'rm', 'tmany']);
  });

  test('connect and disconnect a running container', () => {
    strataOk(root, ['network', 'create', '--subnet', '10.225.0.0/24', 'tcon']);
    strataOk(root, ['run', '-d', '--name', 'srv2', '--network', 'tcon', WEB]);
    strataOk(root, ['run', '-d', '--name', 'late', WEB]);
    strataOk(root, ['network', 'connect', '--alias', 'latecomer', 'tcon', 'late']);
    assert.match(strataOk(root, ['exec', 'late', 'ip', '-o', '-4', 'addr']), /eth1\s+inet 10\.225\.0\.\d+\/24/);
    // It finds the others by name now, and they find it by its alias.
    assert.equal(strataOk(root, ['exec', 'late', 'wget', '-q', '-O-', 'http://srv2/']), PAGE);
    assert.equal(strataOk(root, ['exec', 'srv2', 'wget', '-q', '-O-', 'http://latecomer/']), PAGE);
    assert.match(inspectField(root, 'late', '{{json .NetworkSettings.Networks.tcon.Aliases}}'), /latecomer/);
    const again = strata(root, ['network', 'connect', 'tcon', 'late']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /endpoint with name late already exists in network tcon/);
    strataOk(root, ['network', 'disconnect', 'tcon', 'late']);
    assert.doesNotMatch(strataOk(root, ['exec', 'late', 'ip', '-o', '-4', 'addr']), /eth1/);
    const not = strata(root, ['network', 'disconnect', 'tcon', 'late']);
    assert.equal(not.status, 1);
    assert.match(not.stderr, /is not connected to network tcon/);
    strataOk(root, ['rm', '-f', 'srv2', 'late']);
    strataOk(root, ['network', 'rm', 'tcon']);
  });

  test('a network made without --subnet avoids the subnets the host routes (another store\'s running networks)', () => {
    strataOk(root, ['network', 'create', 'auto1']);
    const first = strataOk(root, ['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'auto1']).trim();
    strataOk(root, ['run', '-d', '--name', 'routed', '--network', 'auto1', WEB]);
    const other = mkdtempSync(join(tmpdir(), 'strata-net-other-'));
    try {
      strataOk(join(other, 'store'), ['network', 'create', 'auto2']);
      const second = strataOk(join(other, 'store'), ['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'auto2']).trim();
      assert.notEqual(second, first, `${first} is routed to auto1's bridge`);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    strataOk(root, ['rm', '-f', 'routed']);
    strataOk(root, ['network', 'rm', 'auto1']);
  });

  test('--ip and --mac-address on a user network; a taken or outside address is refused with nothing left', () => {
    strataOk(root, ['network', 'create', '--subnet', '10.226.0.0/24', '--ip-range', '10.226.0.128/25', 'tfix']);
    strataOk(root, ['run', '-d', '--name', 'fixed', '--network', 'tfix', '--ip', '10.226.0.50', '--mac-address', '02:42:0a:e2:00:32', WEB]);
    const addr = strataOk(root, ['exec', 'fixed', 'ip', '-o', 'addr', 'show', 'eth0']);
    assert.match(addr, /inet 10\.226\.0\.50\/24/);
    assert.equal(strataOk(root, ['exec', 'fixed', 'cat', '/sys/class/net/eth0/address']), '02:42:0a:e2:00:32\n');
    assert.equal(inspectField(root, 'fixed', '{{.NetworkSettings.Networks.tfix.MacAddress}}'), '02:42:0a:e2:00:32');
    // Without --ip, addresses come from --ip-range.
    strataOk(root, ['run', '-d', '--name', 'ranged', '--network', 'tfix', WEB]);
    assert.equal(inspectField(root, 'ranged', '{{.NetworkSettings.Networks.tfix.IPAddress}}'), '10.226.0.128');
    for (const [ip, message] of [['10.226.0.50', /Address already in use: 10\.226\.0\.50/], ['10.227.0.5', /no configured subnet or ip-range contain the IP address 10\.227\.0\.5/]] as const) {
      const r = strata(root, ['run', '-d', '--network', 'tfix', '--ip', ip, WEB]);
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, message);
    }
    assert.equal(strataOk(root, ['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort().join(' '), 'fixed ranged');
    const bad = strata(root, ['run', '-d', '--ip', '172.17.0.9', WEB]);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /user specified IP address is supported on user defined networks only/);
    strataOk(root, ['rm', '-f', 'fixed', 'ranged']);
    strataOk(root, ['network', 'rm', 'tfix']);
  });
});
