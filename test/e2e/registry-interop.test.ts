// Interoperability with skopeo (an independent client) through docker-registry: what strata
// pushes, skopeo copies to an OCI directory with the same digests; what skopeo pushes, strata
// pulls; skopeo reads strata's own store as an OCI layout. And TLS as docker does it:
// a private CA found in certs.d, or an insecure-registries entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { STRATA_BIN, strata, type CliResult } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { makeTlsCertificates, startRegistry } from '../helpers/registry-server.ts';
import { dockerArchive, makeImage, makeLayer, RawRegistry, type TestImage } from '../helpers/registry-images.ts';

const registry = await startRegistry();
const dockerConfig = tempDir('strata-docker-config-');

function ok(root: string, args: string[], options: { input?: Buffer; env?: Record<string, string> } = {}): string {
  const r: CliResult = strata(root, args, { env: { DOCKER_CONFIG: dockerConfig, ...options.env }, ...(options.input ? { input: options.input } : {}) });
  assert.equal(r.status, 0, `strata ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function skopeo(args: string[]): string {
  return execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Writes an image as an OCI image layout directory (what skopeo reads with `oci:`). */
function writeOciLayout(dir: string, image: TestImage, tag: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (digest: string, data: Buffer): void => writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  for (const l of image.layers) put(l.digest, l.blob);
  put(image.configDigest, image.config);
  put(image.manifestDigest, image.manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

test('skopeo copies an image strata pushed into an OCI directory with the same digests', async () => {
  const root = tempDir();
  const image = makeImage([await makeLayer({ 'etc/motd': 'hi\n' }), await makeLayer({ 'srv/data': 'y'.repeat(10_000) })]);
  const name = `${registry.host}/interop/pushed:1`;
  ok(root, ['load'], { input: await dockerArchive([{ image, tags: [name] }]) });
  const line = ok(root, ['push', name]).split('\n').find((l) => l.startsWith('1: digest: ')) ?? '';
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(line)?.[1];
  assert.ok(digest);
  const out = tempDir();
  skopeo(['copy', '--preserve-digests', '--src-tls-verify=false', `docker://${name}`, `oci:${out}:copied`]);
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0]?.digest, digest, 'same manifest digest');
  const manifest = JSON.parse(readFileSync(join(out, 'blobs', 'sha256', digest.slice(7)), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  assert.equal(manifest.config.digest, image.configDigest, 'same config (image ID)');
  for (const l of manifest.layers) assert.ok(existsSync(join(out, 'blobs', 'sha256', l.digest.slice(7))), `layer ${l.digest} copied`);
  // The layers strata compressed unpack to the diff_ids of the image.
  const diffIds = manifest.layers.map((l) => `sha256:${execFileSync('sh', ['-c', `gzip -dc < ${join(out, 'blobs', 'sha256', l.digest.slice(7))} | sha256sum`], { encoding: 'utf8' }).split(' ')[0]}`);
  assert.deepEqual(diffIds, image.layers.map((l) => l.diffId));
});

test('an image skopeo pushed pulls with strata; skopeo reads strata\'s store as an OCI layout', async () => {
  const image = makeImage([await makeLayer({ 'bin/app': '#!/bin/sh\necho skopeo\n' })], { config: { cmd: ['/bin/app'] } });
  const layout = tempDir();
  writeOciLayout(layout, image, 'v1');
  const name = `${registry.host}/interop/from-skopeo:1`;
  skopeo(['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${name}`]);
  const root = tempDir();
  ok(root, ['pull', name]);
  assert.equal(ok(root, ['images', '--no-trunc', '-q', name]).trim(), image.configDigest);
  assert.equal(ok(root, ['image', 'inspect', '--format', '{{json .Config.Cmd}} {{index .RepoDigests 0}}', name]).trim(),
    `["/bin/app"] ${registry.host}/interop/from-skopeo@${image.manifestDigest}`);
  // strata's content/ is an OCI layout skopeo can push from, digest for digest.
  skopeo(['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${join(root, 'content')}:${name}`, `docker://${registry.host}/interop/from-store:1`]);
  const copied = await new RawRegistry(registry.url).getManifest('interop/from-store', '1');
  assert.equal(copied.digest, image.manifestDigest);
});

/**
 * Runs the CLI with `registry.strata.test` resolving to 127.0.0.1: its own /etc/hosts,
 * bind-mounted in a private mount namespace, so traffic stays on loopback while the
 * registry's name is not one strata treats as insecure (localhost, 127.0.0.0/8 are).
 */
function strataWithTestHost(root: string, args: string[], env: Record<string, string>): CliResult {
  const hosts = join(tempDir('strata-hosts-'), 'hosts');
  writeFileSync(hosts, `127.0.0.1 localhost\n127.0.0.1 ${TLS_HOST}\n`);
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, STRATA_BIN, ...args], {
    env: { ...process.env, STRATA_ROOT: root, DOCKER_CONFIG: dockerConfig, ...env },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const TLS_HOST = 'registry.strata.test';

test('TLS: a private CA in certs.d is trusted, an unknown one is refused, insecure-registries skips the check', async () => {
  const certs = makeTlsCertificates(tempDir(), TLS_HOST);
  const secure = await startRegistry({ tls: { certificate: certs.certificate, key: certs.key } });
  const host = `${TLS_HOST}:${secure.port}`;
  const image = makeImage([await makeLayer({ 'tls.txt': 'tls' })]);
  const root = tempDir();
  const name = `${host}/tls/app:1`;
  ok(root, ['load'], { input: await dockerArchive([{ image, tags: [name] }]) });
  const noCerts = tempDir();
  const refused = strataWithTestHost(root, ['push', name], { STRATA_CERTS_D: noCerts });
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`^Error: Get "https://${host}/v2/": .*(self-signed|certificate|issuer)`, 'm'));
  assert.match(refused.stderr, /Hint: put the CA of .* in \/etc\/docker\/certs\.d\//);

  const certsD = tempDir();
  mkdirSync(join(certsD, host));
  copyFileSync(certs.ca, join(certsD, host, 'ca.crt'));
  const pushed = strataWithTestHost(root, ['push', name], { STRATA_CERTS_D: certsD });
  assert.equal(pushed.status, 0, pushed.stderr);
  ok(root, ['rmi', name]);
  const pulled = strataWithTestHost(root, ['pull', name], { STRATA_INSECURE_REGISTRIES: host, STRATA_CERTS_D: noCerts });
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(ok(root, ['images', '--no-trunc', '-q', name]).trim(), image.configDigest);
});
