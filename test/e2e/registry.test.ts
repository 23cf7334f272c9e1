// push, rmi, pull and manifest inspect through the CLI against Debian's docker-registry
// (distribution 2.8), open, on 127.0.0.1 with a random port; images are built in code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indentJson } from '@strata/go-template';
import { strata, type CliResult } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { dockerArchive, makeImage, makeIndex, makeLayer, RawRegistry, sha256 } from '../helpers/registry-images.ts';

const registry = await startRegistry();
const dockerConfig = tempDir('strata-docker-config-');

function run(root: string, args: string[], input?: Buffer): CliResult {
  return strata(root, args, { env: { DOCKER_CONFIG: dockerConfig }, ...(input ? { input } : {}) });
}

function ok(root: string, args: string[], input?: Buffer): string {
  const r = run(root, args, input);
  assert.equal(r.status, 0, `strata ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const short = (digest: string): string => digest.slice(7, 19);

test('push, rmi and pull give back the same image, with docker\'s lines and RepoDigests', async () => {
  const root = tempDir();
  const base = await makeLayer({ 'etc/os-release': 'ID=test\n', 'bin/tool': 'x'.repeat(5000) });
  const app = await makeLayer({ 'app/main.js': 'console.log(1)\n' });
  const image = makeImage([base, app]);
  ok(root, ['load'], await dockerArchive([{ image, tags: ['e2e/app:1'] }]));
  const name = `${registry.host}/e2e/app`;
  ok(root, ['tag', 'e2e/app:1', name]);

  const pushed = ok(root, ['push', name]).split('\n');
  assert.equal(pushed[0], 'Using default tag: latest');
  assert.equal(pushed[1], `The push refers to repository [${name}]`);
  assert.deepEqual(pushed.slice(2, 4), [`${short(app.diffId)}: Preparing`, `${short(base.diffId)}: Preparing`], 'top layer first, as docker lists them');
  assert.deepEqual(pushed.slice(4, 6).sort(), [`${short(app.diffId)}: Pushed`, `${short(base.diffId)}: Pushed`].sort());
  const remote = await new RawRegistry(registry.url).getManifest('e2e/app', 'latest');
  assert.equal(remote.status, 200);
  assert.equal(pushed[6], `latest: digest: ${remote.digest} size: ${remote.bytes.length}`);
  assert.equal(remote.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const digests = ok(root, ['images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}', name]).trim();
  assert.equal(digests, `${name}:latest ${remote.digest}`);

  // A second push finds every blob there already.
  const again = ok(root, ['push', `${name}:latest`]).split('\n');
  assert.deepEqual(again.filter((l) => l.endsWith('Layer already exists')).length, 2);

  ok(root, ['rmi', 'e2e/app:1', name]);
  assert.equal(ok(root, ['images', '-q']).trim(), '');

  const pulled = ok(root, ['pull', name]).split('\n');
  assert.deepEqual(pulled.slice(0, 2), ['Using default tag: latest', 'latest: Pulling from e2e/app']);
  const layerIds = JSON.parse(remote.bytes.toString()).layers.map((l: { digest: string }) => short(l.digest)) as string[];
  for (const id of layerIds) {
    const lines = pulled.filter((l) => l.startsWith(`${id}: `)).map((l) => l.slice(id.length + 2));
    assert.deepEqual(lines, ['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete']);
  }
  assert.deepEqual(pulled.slice(-4), [`Digest: ${remote.digest}`, `Status: Downloaded newer image for ${name}:latest`, `${name}:latest`, '']);
  assert.equal(ok(root, ['images', '--no-trunc', '-q']).trim(), image.configDigest);
  assert.equal(ok(root, ['image', 'inspect', '--format', '{{json .RepoDigests}}', name]).trim(), JSON.stringify([`${name}@${remote.digest}`]));
  assert.match(ok(root, ['system', 'check']), /OK/);

  const upToDate = ok(root, ['pull', `${name}:latest`]).split('\n');
  assert.deepEqual(upToDate, ['latest: Pulling from e2e/app', `Digest: ${remote.digest}`, `Status: Image is up to date for ${name}:latest`, `${name}:latest`, '']);
  assert.equal(ok(root, ['pull', '-q', `${name}@${remote.digest}`]), `${name}@${remote.digest}\n`);

  // manifest inspect prints the registry's bytes re-indented with tabs, as docker does.
  assert.equal(ok(root, ['manifest', 'inspect', name]), `${indentJson(remote.bytes.toString(), '\t')}\n`);
});

test('a multi-platform index pulls the manifest of the asked platform (host platform by default)', async () => {
  const root = tempDir();
  const raw = new RawRegistry(registry.url);
  const amd = makeImage([await makeLayer({ 'arch.txt': 'amd64\n' })], { config: { architecture: 'amd64' } });
  const arm = makeImage([await makeLayer({ 'arch.txt': 'arm64\n' }, { compression: 'zstd' })], { config: { architecture: 'arm64', variant: 'v8' } });
  await raw.pushImage('e2e/multi', amd.manifestDigest, amd);
  await raw.pushImage('e2e/multi', arm.manifestDigest, arm);
  const index = makeIndex([
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]);
  await raw.putManifest('e2e/multi', '1', index.bytes, index.mediaType);
  const name = `${registry.host}/e2e/multi:1`;

  const out = ok(root, ['pull', '--platform', 'linux/arm64', name]);
  assert.match(out, new RegExp(`Digest: ${index.digest}`));
  assert.equal(ok(root, ['images', '--no-trunc', '-q', name]).trim(), arm.configDigest);
  assert.equal(ok(root, ['image', 'inspect', '--format', '{{.Architecture}} {{json .RepoDigests}}', name]).trim(),
    `arm64 ${JSON.stringify([`${registry.host}/e2e/multi@${index.digest}`])}`);

  if (process.arch === 'x64') {
    ok(root, ['pull', '-q', name]);
    assert.equal(ok(root, ['images', '--no-trunc', '-q', name]).trim(), amd.configDigest);
  }
  const none = run(root, ['pull', '--platform', 'linux/s390x', name]);
  assert.equal(none.status, 1);
  assert.equal(none.stderr, 'Error: no matching manifest for linux/s390x in the manifest list entries\n');

  // manifest inspect of an index: the list itself, three-space indented.
  assert.equal(ok(root, ['manifest', 'inspect', name]), `${indentJson(index.bytes.toString(), '   ')}\n`);
});

test('pull -a fetches every tag; a missing tag or repository gets docker\'s message', async () => {
  const root = tempDir();
  const raw = new RawRegistry(registry.url);
  const shared = await makeLayer({ 'shared.txt': 'base\n' });
  const one = makeImage([shared, await makeLayer({ 'v.txt': '1' })], { family: 'docker' });
  const two = makeImage([shared, await makeLayer({ 'v.txt': '2' })], { family: 'docker' });
  await raw.pushImage('e2e/tags', 'v1', one);
  await raw.pushImage('e2e/tags', 'v2', two);
  const repo = `${registry.host}/e2e/tags`;
  const out = ok(root, ['pull', '-a', repo]).split('\n');
  assert.ok(out.includes('v1: Pulling from e2e/tags') && out.includes('v2: Pulling from e2e/tags'));
  assert.ok(out.includes(`${short(shared.digest)}: Already exists`), 'the shared base is fetched once');
  assert.deepEqual(out.slice(-3), [`Status: Downloaded newer image for ${repo}`, repo, '']);
  assert.equal(ok(root, ['images', '--format', '{{.Tag}}', repo]).trim().split('\n').sort().join(' '), 'v1 v2');

  const missingTag = run(root, ['pull', `${repo}:nope`]);
  assert.equal(missingTag.status, 1);
  assert.equal(missingTag.stderr, `Error: manifest for ${repo}:nope not found: manifest unknown: manifest unknown\n`);
  const bad = run(root, ['pull', `${registry.host}/e2e/bad name`]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^Error: invalid reference format/);
  const digestPush = run(root, ['push', `${repo}@${sha256('x')}`]);
  assert.equal(digestPush.status, 1);
  const unknown = run(root, ['push', `${registry.host}/e2e/never`]);
  assert.equal(unknown.stderr, `Error: An image does not exist locally with the tag: ${registry.host}/e2e/never\n`);
});

test('an image built here (layers kept as snapshots, no blobs) pushes, pulls into another store and runs', async () => {
  const { storeWithBase, context, BASE } = await import('./build-fixture.ts');
  const root = storeWithBase();
  ok(root, ['build', '-q', '-t', 'built/app:1', context(`FROM ${BASE}\nRUN echo built-here > /built\nCMD ["cat", "/built"]\n`)]);
  const name = `${registry.host}/built/app:1`;
  ok(root, ['tag', 'built/app:1', name]);
  const pushed = ok(root, ['push', name]);
  assert.match(pushed, /: Pushed\n/);
  assert.match(pushed, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
  const other = tempDir();
  ok(other, ['pull', '-q', name]);
  assert.equal(ok(other, ['run', '--rm', name]), 'built-here\n');
  assert.equal(ok(other, ['image', 'inspect', '-f', '{{json .RootFS.Layers}}', name]), ok(root, ['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'built/app:1']));
});
