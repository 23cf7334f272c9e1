// The default bridge network and published ports, with real namespaces and real packets:
// busybox httpd in a container reached through -p from 127.0.0.1 and the host's own address
// by Node's HTTP client; -P and `port`; a taken host port refused with nothing left; a
// container killed with SIGKILL gives its port and address back. The host's ruleset, links
// and addresses are compared with before once the file's containers are gone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, strata, strataOk } from './containers-fixture.ts';
import { canRunNetworks, freePort, holdPort, hostAddress, inspectField, networkStore, pageAt, PAGE, WEB } from './network-fixture.ts';

const skip = canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)';

describe('the default bridge network', { skip }, () => {
  const root = skip ? '' : networkStore({ bip: '10.213.0.1/24', bridge: 'strtest0' });

  test('a published port answers on 127.0.0.1 and on the host\'s address; ps, port and inspect show it', async () => {
    const port = await freePort();
    const id = strataOk(root, ['run', '-d', '--name', 'web1', '-p', `${port}:80`, WEB]).trim();
    assert.equal(await pageAt('127.0.0.1', port), PAGE);
    const address = hostAddress();
    if (address !== undefined) assert.equal(await pageAt(address, port), PAGE, `through ${address}`);
    assert.equal(strataOk(root, ['ps', '--format', '{{.Ports}}', '--filter', 'name=web1']).trim(), `0.0.0.0:${port}->80/tcp`);
    assert.equal(strataOk(root, ['port', 'web1']).trim(), `80/tcp -> 0.0.0.0:${port}`);
    assert.equal(strataOk(root, ['port', 'web1', '80']).trim(), `0.0.0.0:${port}`);
    assert.equal(inspectField(root, 'web1', '{{json .HostConfig.PortBindings}}'), `{"80/tcp":[{"HostIp":"","HostPort":"${port}"}]}`);
    assert.equal(inspectField(root, 'web1', '{{json .NetworkSettings.Ports}}'), `{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"${port}"}]}`);
    const ip = inspectField(root, 'web1', '{{.NetworkSettings.IPAddress}}');
    assert.match(ip, /^10\.213\.0\.\d+$/);
    assert.equal(inspectField(root, 'web1', '{{.NetworkSettings.Gateway}}'), '10.213.0.1');
    assert.equal(inspectField(root, 'web1', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}'), 'bridge');
    // /etc/hosts names the container at its address; resolv.conf has no loopback resolver.
    const hosts = strataOk(root, ['exec', 'web1', 'cat', '/etc/hosts']);
    assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '\\.')}\\t${id.slice(0, 12)}$`, 'm'));
    assert.doesNotMatch(strataOk(root, ['exec', 'web1', 'cat', '/etc/resolv.conf']), /nameserver\s+127\./);
    // The container's own address answers from the host too.
    assert.equal(await pageAt(ip, 80), PAGE);
    // Another container reaches the published port through the host (its gateway, the host's address).
    const through = address === undefined ? '10.213.0.1' : `10.213.0.1 ${address}`;
    const fetched = strataOk(root, ['run', '--rm', WEB, 'sh', '-c', `for h in ${through}; do wget -q -O- http://$h:${port}/; done`]);
    assert.equal(fetched, PAGE.repeat(through.split(' ').length));
    strataOk(root, ['rm', '-f', 'web1']);
    assert.equal(await pageAt('127.0.0.1', port, 1), undefined, 'the port is closed after rm');
  });

  test('-P publishes the EXPOSEd port on an ephemeral host port', async () => {
    strataOk(root, ['run', '-d', '--name', 'web2', '-P', WEB]);
    const binding = strataOk(root, ['port', 'web2', '80/tcp']).trim();
    const m = /^0\.0\.0\.0:(\d+)$/.exec(binding);
    assert.ok(m, binding);
    assert.equal(await pageAt('127.0.0.1', Number(m[1])), PAGE);
    assert.equal(inspectField(root, 'web2', '{{.HostConfig.PublishAllPorts}}'), 'true');
    assert.equal(strataOk(root, ['ps', '--filter', 'publish=80', '--format', '{{.Names}}']), 'web2\n');
    assert.equal(strataOk(root, ['ps', '--filter', 'publish=80/udp', '--format', '{{.Names}}']), '');
    assert.equal(strataOk(root, ['ps', '--filter', 'expose=70-90/tcp', '--format', '{{.Names}}']), 'web2\n');
    strataOk(root, ['rm', '-f', 'web2']);
  });

  test('a host port another process or container holds is refused, and nothing is left', async () => {
    const port = await freePort();
    const server = await holdPort(port);
    try {
      const r = strata(root, ['run', '-d', '-p', `${port}:80`, WEB]);
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
    } finally {
      server.close();
    }
    const port2 = await freePort();
    strataOk(root, ['run', '-d', '--name', 'holder', '-p', `${port2}:80`, WEB]);
    const r = strata(root, ['run', '-d', '-p', `127.0.0.1:${port2}:80`, WEB]);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /port is already allocated/);
    // Nothing half-made: only the holder is there, with its one namespace.
    assert.equal(strataOk(root, ['ps', '-a', '--format', '{{.Names}}']).trim(), 'holder');
    assert.equal(readdirSync(join(root, 'netns')).length, 1);
    assert.doesNotMatch(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }), new RegExp(`--dport ${port} `));
    strataOk(root, ['rm', '-f', 'holder']);
  });

  test('publishing on an address the host does not have is refused', async () => {
    const port = await freePort();
    const r = strata(root, ['run', '-d', '-p', `192.0.2.254:${port}:80`, WEB]);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /192\.0\.2\.254/);
    assert.equal(strataOk(root, ['ps', '-aq']).trim(), '');
  });

  test('kill -9 of the container\'s process gives its port and address back', async () => {
    const port = await freePort();
    strataOk(root, ['run', '-d', '--name', 'k1', '-p', `${port}:80`, WEB]);
    assert.equal(await pageAt('127.0.0.1', port), PAGE);
    const ip = inspectField(root, 'k1', '{{.NetworkSettings.IPAddress}}');
    const pid = Number(inspectField(root, 'k1', '{{.State.Pid}}'));
    const netns = inspectField(root, 'k1', '{{.NetworkSettings.SandboxKey}}');
    process.kill(pid, 'SIGKILL');
    // The supervisor's exit hook tears the network down without any strata command.
    await eventually(() => (existsSync(netns) ? undefined : true), 15_000, 'the namespace to be removed');
    assert.doesNotMatch(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }), new RegExp(`--dport ${port} `));
    strataOk(root, ['run', '-d', '--name', 'k2', '-p', `${port}:80`, WEB]);
    assert.equal(inspectField(root, 'k2', '{{.NetworkSettings.IPAddress}}'), ip, 'the address is free again');
    assert.equal(await pageAt('127.0.0.1', port), PAGE);
    strataOk(root, ['rm', '-f', 'k1', 'k2']);
  });

  test('a network its killed supervisor left is named by system check and removed by --repair', async () => {
    const port = await freePort();
    const id = strataOk(root, ['run', '-d', '--name', 'orphan', '-p', `${port}:80`, WEB]).trim();
    const shimPid = (JSON.parse(readFileSync(join(root, 'containers', id, 'state.json'), 'utf8')) as { shimPid: number }).shimPid;
    const pid = Number(inspectField(root, 'orphan', '{{.State.Pid}}'));
    const netns = inspectField(root, 'orphan', '{{.NetworkSettings.SandboxKey}}');
    // Supervisor first: nobody is left to run the exit hook.
    process.kill(shimPid, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    await eventually(() => (existsSync(`/proc/${pid}`) ? undefined : true), 15_000, 'the container process to die');
    const check = strata(root, ['system', 'check']);
    assert.equal(check.status, 1, check.stdout + check.stderr);
    assert.match(check.stdout, new RegExp(`leftover: network of container ${id.slice(0, 12)}: its container does not run`));
    assert.match(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }), new RegExp(`--dport ${port} `), 'check changed nothing');
    const repair = strata(root, ['system', 'check', '--repair']);
    assert.equal(repair.status, 0, repair.stdout + repair.stderr);
    assert.match(repair.stdout, new RegExp(`repaired: removed network of container ${id.slice(0, 12)}`));
    assert.doesNotMatch(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }), new RegExp(`--dport ${port} `));
    assert.equal(existsSync(netns), false);
    strataOk(root, ['rm', 'orphan']);
  });

  test('bad -p values and unknown networks are refused naming them, and nothing is made', () => {
    for (const [spec, message] of [['80/sctp', /invalid proto "sctp"/], ['70000:80', /invalid -p 70000:80/], ['1-3:80-81', /invalid ranges/], ['x.y:1:80', /invalid IP address "x\.y"/]] as const) {
      const r = strata(root, ['run', '-d', '-p', spec, WEB]);
      assert.equal(r.status, 125, `${spec}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const r = strata(root, ['run', '-d', '--network', 'nosuch', WEB]);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /network nosuch not found/);
    const none = strata(root, ['run', '-d', '--network', 'none', '-p', '80', WEB]);
    assert.equal(none.status, 125);
    assert.match(none.stderr, /conflicting options: port publishing and the container type network mode/);
    assert.equal(strataOk(root, ['ps', '-aq']).trim(), '');
  });
});

describe('sharing and naming the host', { skip }, () => {
  const root = skip ? '' : networkStore({ bip: '10.224.0.1/24', bridge: 'strtest2' });

  test('--network container:NAME shares that container\'s namespace; a stopped one is refused with nothing left', async () => {
    strataOk(root, ['run', '-d', '--name', 'owner', WEB]);
    const ip = inspectField(root, 'owner', '{{.NetworkSettings.IPAddress}}');
    const out = strataOk(root, ['run', '--rm', '--network', 'container:owner', WEB, 'sh', '-c', 'ip -o -4 addr show eth0; wget -q -O- http://127.0.0.1/']);
    assert.match(out, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
    assert.ok(out.endsWith(PAGE), out);
    strataOk(root, ['stop', '-t', '0', 'owner']);
    const r = strata(root, ['run', '--network', 'container:owner', WEB, 'true']);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /cannot join network namespace of a non running container/);
    assert.equal(strataOk(root, ['ps', '-a', '--format', '{{.Names}}']).trim(), 'owner');
    strataOk(root, ['rm', 'owner']);
  });

  test('--add-host NAME:host-gateway names the bridge\'s gateway', () => {
    const hosts = strataOk(root, ['run', '--rm', '--add-host', 'outside:host-gateway', WEB, 'cat', '/etc/hosts']);
    assert.match(hosts, /^10\.224\.0\.1\toutside$/m);
  });
});
