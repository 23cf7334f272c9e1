// `strata system service --tls/--tlsverify` on TCP, as dockerd: the docker CLI with a client
// certificate signed by the CA gets in; without one (or without TLS) it is refused. The
// certificates are made here with openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_DOCKER_CLI, startService, type ApiService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { STRATA_BIN } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const NO_OPENSSL = spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed: the test makes its certificates with it';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): { dir: string; ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const dir = tempDir('strata-tls-');
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=strata test CA');
  writeFileSync(at('server.ext'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  writeFileSync(at('client.ext'), 'extendedKeyUsage = clientAuth\n');
  for (const [name, subject] of [['server', '/CN=127.0.0.1'], ['client', '/CN=client']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}-cert.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  return { dir, ca: at('ca.pem'), serverCert: at('server-cert.pem'), serverKey: at('server-key.pem'), clientCert: at('client-cert.pem'), clientKey: at('client-key.pem') };
}

async function tcpPort(service: ApiService): Promise<number> {
  const line = await eventually(() => /API listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(service.log()) ?? undefined, 10_000, 'the tcp listener');
  return Number(line[1]);
}

/** The docker CLI on TCP; its own empty config, so nothing of the host's leaks in. */
function dockerTcp(port: number, flags: string[], args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('docker', [...flags, '-H', `tcp://127.0.0.1:${port}`, ...args], {
    env: { ...process.env, DOCKER_CONFIG: tempDir('strata-docker-config-'), DOCKER_CERT_PATH: '', DOCKER_TLS_VERIFY: '', DOCKER_HOST: '' },
  });
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const skip = NO_DOCKER_CLI || NO_OPENSSL;

test('--tlsverify: a client with a certificate signed by the CA gets in, one without is refused, plain HTTP too', { skip }, async () => {
  const certs = makeCertificates();
  const service = await startService({ args: ['-H', 'tcp://127.0.0.1:0', '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey] });
  const port = await tcpPort(service);
  assert.doesNotMatch(service.log(), /WARNING/, 'a verified listener needs no warning');

  const withCert = dockerTcp(port, ['--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey], ['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(withCert.status, 0, withCert.stderr);
  assert.equal(withCert.stdout, '1.50\n');

  const noCert = dockerTcp(port, ['--tlsverify', '--tlscacert', certs.ca], ['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(noCert.status, 1);
  assert.match(noCert.stderr, /certificate required|bad certificate|handshake failure/);
  assert.doesNotMatch(noCert.stdout, /1\.50/);

  await assert.rejects(fetch(`http://127.0.0.1:${port}/_ping`), 'plain HTTP is no way around the certificate');
  // The unix socket beside it is unchanged.
  assert.match(service.log(), /API listening on unix:\/\//);
});

test('--tls without verification: encrypted, any client gets in, with dockerd\'s warning', { skip }, async () => {
  const certs = makeCertificates();
  const service = await startService({ args: ['-H', 'tcp://127.0.0.1:0', '--tls', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey] });
  const port = await tcpPort(service);
  assert.match(service.log(), /^WARNING: \[!\] DON'T BIND ON ANY IP ADDRESS WITHOUT setting --tlsverify IF YOU DON'T KNOW WHAT YOU'RE DOING \[!\]$/m);
  assert.doesNotMatch(service.log(), /without encryption/);
  const r = dockerTcp(port, ['--tls', '--tlscacert', certs.ca], ['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '1.50\n');
});

test('a TLS file that is missing or not a certificate stops the start, naming it; no socket is left', { skip: NO_OPENSSL }, () => {
  const certs = makeCertificates();
  const dir = tempDir();
  const socket = join(dir, 's.sock');
  const run = (...flags: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync(STRATA_BIN, ['--root', join(dir, 'store'), 'system', 'service', '-H', `unix://${socket}`, '-H', 'tcp://127.0.0.1:0', ...flags]);
    return { status: r.status, stderr: r.stderr.toString() };
  };
  const missing = join(dir, 'nope.pem');
  assert.deepEqual(run('--tlsverify', '--tlscacert', missing, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey),
    { status: 1, stderr: `Error: could not read --tlscacert "${missing}": no such file or directory\n` });
  const bad = run('--tls', '--tlscert', certs.ca, '--tlskey', certs.clientKey);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^Error: invalid TLS certificate or key \(--tlscert, --tlskey\): .+\n$/);
  assert.deepEqual(run('--tlscert', certs.serverCert), { status: 1, stderr: 'Error: --tlscacert, --tlscert and --tlskey need --tls or --tlsverify\n' });
  assert.equal(spawnSync('test', ['-e', socket]).status, 1, 'nothing listened');
});
