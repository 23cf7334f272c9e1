import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPorts, parsePublish, publishAll, type PortBindings } from '../../../src/network/ports.ts';
import { contains, formatCidr, overlaps, parseCidr, parseIPv4 } from '../../../src/network/ipv4.ts';

function parse(...specs: string[]): PortBindings {
  const out: PortBindings = {};
  for (const s of specs) parsePublish(s, out);
  return out;
}

test('-p values become docker\'s PortBindings', () => {
  assert.deepEqual(parse('8080:80'), { '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  assert.deepEqual(parse('80'), { '80/tcp': [{ HostIp: '', HostPort: '' }] });
  assert.deepEqual(parse('127.0.0.1::53/udp'), { '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.deepEqual(parse('127.0.0.1:8080:80', '8081:80'), { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostIp: '', HostPort: '8081' }] });
  assert.deepEqual(parse('8000-8001:80-81'), { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] });
  assert.deepEqual(parse('9000-9010:80'), { '80/tcp': [{ HostIp: '', HostPort: '9000-9010' }] });
  assert.deepEqual(parse('80/TCP'), { '80/tcp': [{ HostIp: '', HostPort: '' }] });
});

test('bad -p values are refused naming the value and what is wrong', () => {
  for (const [spec, message] of [
    ['80/sctp', /invalid -p 80\/sctp: invalid proto "sctp"/],
    ['0:80', /invalid port range "0"/],
    ['8080:', /no port specified/],
    ['1-3:80-81', /invalid ranges specified for container and host Ports: 80-81 and 1-3/],
    ['1.2.3:80:80', /invalid IP address "1\.2\.3"/],
    ['::1:80:80', /expected \[IP:\]\[HOST_PORT:\]CONTAINER_PORT/],
    ['81-80', /invalid port range "81-80"/],
  ] as const) {
    assert.throws(() => parse(spec), (err: Error) => message.test(err.message), spec);
  }
});

test('-P adds every EXPOSEd port that -p does not bind', () => {
  const b = parse('8080:80');
  publishAll(['80/tcp', '53/udp', '443'], b);
  assert.deepEqual(b, { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }], '443/tcp': [{ HostIp: '', HostPort: '' }] });
});

test('PORTS as ps prints it, consecutive ports folded', () => {
  assert.equal(formatPorts([]), '');
  assert.equal(formatPorts([{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]), '0.0.0.0:8080->80/tcp');
  assert.equal(formatPorts([
    { hostIp: '', hostPort: 8001, containerPort: 81, protocol: 'tcp' },
    { hostIp: '', hostPort: 8000, containerPort: 80, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
  ]), '0.0.0.0:8000-8001->80-81/tcp, 127.0.0.1:5353->53/udp');
});

test('IPv4 addresses and subnets', () => {
  assert.equal(parseIPv4('172.17.0.1'), 0xac110001);
  assert.equal(parseIPv4('256.0.0.1'), undefined);
  assert.equal(parseIPv4('01.2.3.4'), undefined);
  const s = parseCidr('172.17.5.9/16')!;
  assert.equal(formatCidr(s.subnet), '172.17.0.0/16');
  assert.ok(contains(s.subnet, parseIPv4('172.17.255.254')!));
  assert.ok(!contains(s.subnet, parseIPv4('172.18.0.1')!));
  assert.ok(overlaps(parseCidr('10.0.0.0/8')!.subnet, parseCidr('10.9.0.0/24')!.subnet));
  assert.ok(!overlaps(parseCidr('10.0.0.0/24')!.subnet, parseCidr('10.0.1.0/24')!.subnet));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
});
