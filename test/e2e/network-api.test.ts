// The Engine API's networks and published ports, driven by the docker CLI (28) through
// `strata system service`: network create/ls/inspect/rm/prune/connect/disconnect on the
// same store the CLI uses, `docker run -d -p 127.0.0.1::80` answered by a real HTTP GET on
// loopback, `docker port`, ps and inspect. Traffic goes only to loopback and the test's own
// containers; the host's ruleset, links and addresses are compared with before at the end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiRequest, docker, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { strataOk } from './containers-fixture.ts';
import { canRunNetworks, inspectField, networkStore, pageAt, PAGE, WEB } from './network-fixture.ts';

const skip = NO_DOCKER_CLI || (canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)');

describe('Engine API networks and ports', { skip }, () => {
  const root = skip ? '' : networkStore({ bip: '10.226.0.1/24', bridge: 'strtest4' });

  test('docker network create, ls, inspect, rm and prune through the service, seen by the CLI', async () => {
    const { socket } = await startService({ root });
    const id = dockerOk(socket, ['network', 'create', '--subnet', '10.227.0.0/24', '--gateway', '10.227.0.254', '--ip-range', '10.227.0.128/25',
      '--label', 'tier=back', '--internal', '-o', 'com.example.x=1', 'an1']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(strataOk(root, ['network', 'ls', '-q', '--no-trunc', '--filter', 'name=an1']).trim(), id, 'the CLI sees what the API made');
    const ls = dockerOk(socket, ['network', 'ls']);
    assert.match(ls, new RegExp(`^${id.slice(0, 12)} {3}an1 {7}bridge {4}local$`, 'm'));
    assert.match(ls, /^[0-9a-f]{12} {3}bridge {4}bridge {4}local$/m);
    assert.match(ls, /^[0-9a-f]{12} {3}host {6}host {6}local$/m);
    for (const [filter, want] of [['label=tier=back', 'an1'], ['driver=null', 'none'], ['type=custom', 'an1'], [`id=${id.slice(0, 8)}`, 'an1']]) {
      assert.equal(dockerOk(socket, ['network', 'ls', '--filter', filter!, '--format', '{{.Name}}']), `${want}\n`, filter);
    }
    const [doc] = JSON.parse(dockerOk(socket, ['network', 'inspect', 'an1'])) as Array<Record<string, unknown>>;
    assert.equal(doc!['Id'], id);
    assert.equal(doc!['Internal'], true);
    assert.deepEqual(doc!['IPAM'], { Driver: 'default', Options: {}, Config: [{ Subnet: '10.227.0.0/24', IPRange: '10.227.0.128/25', Gateway: '10.227.0.254' }] });
    assert.deepEqual([doc!['Labels'], doc!['Options']], [{ tier: 'back' }, { 'com.example.x': '1' }]);
    assert.deepEqual(JSON.parse(strataOk(root, ['network', 'inspect', 'an1'])), JSON.parse(dockerOk(socket, ['network', 'inspect', 'an1'])), 'the same JSON as the CLI');

    for (const [args, status, message] of [
      [['network', 'create', 'an1'], 1, /network with name an1 already exists/],
      [['network', 'create', '--subnet', '10.227.0.0/25', 'an2'], 1, /Pool overlaps with other one on this address space/],
      [['network', 'create', '-d', 'overlay', 'an2'], 1, /plugin "overlay" not found/],
      [['network', 'rm', 'bridge'], 1, /bridge is a pre-defined network and cannot be removed/],
      [['network', 'inspect', 'nosuch'], 1, /network nosuch not found/],
    ] as const) {
      const r = docker(socket, [...args]);
      assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const dup = await apiRequest(socket, 'POST', '/v1.50/networks/create', JSON.stringify({ Name: 'an1', CheckDuplicate: true }), { 'Content-Type': 'application/json' });
    assert.equal(dup.status, 409, dup.body);
    const bad = await apiRequest(socket, 'POST', '/v1.50/networks/create', JSON.stringify({ Name: 'an2', IPAM: { Config: [{ Subnet: 'nonsense' }] } }), { 'Content-Type': 'application/json' });
    assert.equal(bad.status, 400, bad.body);
    assert.match(bad.body, /nonsense/);
    assert.doesNotMatch(strataOk(root, ['network', 'ls']), /an2/, 'nothing half-made');

    dockerOk(socket, ['network', 'create', '--label', 'keep=no', 'an3']);
    assert.equal(dockerOk(socket, ['network', 'prune', '-f', '--filter', 'label=keep=no']), 'Deleted Networks:\nan3\n\n');
    assert.equal(dockerOk(socket, ['network', 'rm', 'an1']), 'an1\n');
    assert.equal(strataOk(root, ['network', 'ls', '-q', '--filter', 'type=custom']), '');
  });

  test('docker run -d -p 127.0.0.1::80 answers on loopback; port, ps, inspect; connect and disconnect', async () => {
    const { socket } = await startService({ root });
    const id = dockerOk(socket, ['run', '-d', '--name', 'aweb', '-p', '127.0.0.1::80', WEB]).trim();
    const mapped = dockerOk(socket, ['port', 'aweb', '80']).trim();
    const m = /^127\.0\.0\.1:(\d+)$/.exec(mapped);
    assert.ok(m, mapped);
    const hostPort = Number(m[1]);
    assert.equal(await pageAt('127.0.0.1', hostPort), PAGE, 'the page over the published port');
    assert.equal(dockerOk(socket, ['port', 'aweb']), `80/tcp -> 127.0.0.1:${hostPort}\n`);
    assert.equal(dockerOk(socket, ['ps', '--format', '{{.Names}} {{.Ports}}']), `aweb 127.0.0.1:${hostPort}->80/tcp\n`);
    const [c] = JSON.parse(dockerOk(socket, ['inspect', 'aweb'])) as Array<{ NetworkSettings: { Ports: unknown; Networks: Record<string, { IPAddress: string }> }; HostConfig: { PortBindings: unknown } }>;
    assert.deepEqual(c!.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });
    assert.deepEqual(c!.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    assert.match(c!.NetworkSettings.Networks['bridge']!.IPAddress, /^10\.226\.0\.\d+$/);
    assert.equal(inspectField(root, 'aweb', '{{json .NetworkSettings.Ports}}'), JSON.stringify(c!.NetworkSettings.Ports), 'as the CLI shows it');
    const list = JSON.parse((await apiRequest(socket, 'GET', '/v1.50/containers/json')).body) as Array<{ Id: string; Ports: unknown; NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    assert.deepEqual(list.map((x) => [x.Id, x.Ports]), [[id, [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: hostPort, Type: 'tcp' }]]]);
    assert.equal(list[0]!.NetworkSettings.Networks['bridge']!.IPAddress, c!.NetworkSettings.Networks['bridge']!.IPAddress);

    // A second network, joined while it runs, with an alias and an address of our choosing.
    dockerOk(socket, ['network', 'create', '--subnet', '10.228.0.0/24', 'an4']);
    dockerOk(socket, ['network', 'connect', '--alias', 'site', '--ip', '10.228.0.9', 'an4', 'aweb']);
    const [net] = JSON.parse(dockerOk(socket, ['network', 'inspect', 'an4'])) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
    assert.deepEqual(Object.entries(net!.Containers).map(([k, v]) => [k, v.Name, v.IPv4Address]), [[id, 'aweb', '10.228.0.9/24']]);
    // A client on that network reaches it by its alias.
    const fetched = dockerOk(socket, ['run', '--rm', '--network', 'an4', WEB, 'wget', '-q', '-O-', 'http://site/']);
    assert.equal(fetched, PAGE);
    const inUse = docker(socket, ['network', 'rm', 'an4']);
    assert.equal(inUse.status, 1);
    assert.match(inUse.stderr, /has active endpoints/);
    dockerOk(socket, ['network', 'disconnect', 'an4', 'aweb']);
    assert.deepEqual((JSON.parse(dockerOk(socket, ['network', 'inspect', 'an4'])) as Array<{ Containers: object }>)[0]!.Containers, {});
    dockerOk(socket, ['rm', '-f', 'aweb']);
    assert.equal(dockerOk(socket, ['network', 'rm', 'an4']), 'an4\n');

    // -P publishes the image's EXPOSE and --expose's ports (PublishAllPorts, Config.ExposedPorts).
    dockerOk(socket, ['run', '-d', '--name', 'aweb2', '-P', '--expose', '8080', WEB]);
    const all = dockerOk(socket, ['port', 'aweb2']);
    const published = /^80\/tcp -> 0\.0\.0\.0:(\d+)\n8080\/tcp -> 0\.0\.0\.0:\d+\n$/.exec(all);
    assert.ok(published, all);
    assert.equal(await pageAt('127.0.0.1', Number(published[1])), PAGE);
    dockerOk(socket, ['rm', '-f', 'aweb2']);
  });

  test('a create body the API refuses names its field and leaves no container', async () => {
    const { socket } = await startService({ root });
    const create = async (body: object): Promise<{ status: number; body: string }> =>
      apiRequest(socket, 'POST', '/v1.50/containers/create', JSON.stringify({ Image: WEB, ...body }), { 'Content-Type': 'application/json' });
    for (const [body, status, message] of [
      [{ HostConfig: { PortBindings: { 'eighty/tcp': [{ HostPort: '80' }] } } }, 400, /HostConfig\.PortBindings key "eighty\/tcp"/],
      [{ HostConfig: { PortBindings: { '80/tcp': [{ HostIp: 'nowhere', HostPort: '80' }] } } }, 400, /HostConfig\.PortBindings\["80\/tcp"\]\[0\]: invalid IP address "nowhere"/],
      [{ HostConfig: { NetworkMode: 'none', PortBindings: { '80/tcp': [{ HostPort: '' }] } } }, 400, /conflicting options: port publishing/],
      [{ HostConfig: { NetworkMode: 'nosuch' } }, 404, /network nosuch not found/],
      [{ NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['x'] } } } }, 400, /network-scoped aliases are only supported for user-defined networks/],
      [{ ExposedPorts: { 'x/tcp': {} } }, 400, /Config\.ExposedPorts key "x\/tcp"/],
    ] as const) {
      const r = await create(body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.body}`);
      assert.match((JSON.parse(r.body) as { message: string }).message, message);
    }
    assert.equal(strataOk(root, ['ps', '-aq']), '');
  });
});
