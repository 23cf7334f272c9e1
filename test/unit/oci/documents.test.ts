import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chainIds, formatRfc3339Nano, parseImageConfigBytes, parseManifestBytes, parsePlatform, platformMatches, sha256Of, type Digest,
} from '../../../src/oci/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

const d = (c: string): Digest => `sha256:${c.repeat(64)}`;

test('chain IDs follow the image-spec formula', () => {
  const a = d('a');
  const b = d('b');
  const chains = chainIds([a, b]);
  assert.equal(chains[0], a);
  assert.equal(chains[1], sha256Of(`${a} ${b}`));
});

test('reads OCI and Docker manifests and indexes', () => {
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: d('c'), size: 10 },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d('1'), size: 5 }] };
  const parsed = parseManifestBytes(Buffer.from(JSON.stringify(manifest)));
  assert.equal(parsed.kind, 'manifest');
  const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('2'), size: 3, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }] };
  const parsedIndex = parseManifestBytes(Buffer.from(JSON.stringify(index)));
  assert.equal(parsedIndex.kind, 'index');
});

test('invalid documents fail naming the field', () => {
  const bad = { schemaVersion: 2, config: { mediaType: 'x', digest: 'sha256:zz', size: 1 }, layers: [] };
  assert.throws(() => parseManifestBytes(Buffer.from(JSON.stringify(bad))), /field "config.digest"/);
  const badSize = { schemaVersion: 2, config: { mediaType: 'x', digest: d('a'), size: '1' }, layers: [] };
  assert.throws(() => parseManifestBytes(Buffer.from(JSON.stringify(badSize))), /field "config.size" must be a non-negative integer, got "1"/);
  assert.throws(() => parseManifestBytes(Buffer.from('{"schemaVersion":1}')), /schema 1/);
  assert.throws(() => parseManifestBytes(Buffer.from('<html>')), /not valid JSON/);
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [d('a')] }, config: { Env: 'PATH=/bin' } };
  assert.throws(() => parseImageConfigBytes(Buffer.from(JSON.stringify(config))), /field "config.Env" must be an array/);
  const history = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, history: [{ created_by: 'x' }] };
  assert.throws(() => parseImageConfigBytes(Buffer.from(JSON.stringify(history))), (err) => isStrataError(err, 'invalid-argument'));
});

test('platforms normalise like containerd', () => {
  assert.deepEqual(parsePlatform('linux/aarch64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.ok(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.ok(!platformMatches(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'arm64' }));
  assert.throws(() => parsePlatform('linux//x'), /invalid platform/);
});

test('times print as Go prints RFC3339Nano', () => {
  assert.equal(formatRfc3339Nano('2024-01-02T03:04:05.120000000Z'), '2024-01-02T03:04:05.12Z');
  assert.equal(formatRfc3339Nano('2024-01-02T03:04:05+00:00'), '2024-01-02T03:04:05Z');
  assert.equal(formatRfc3339Nano('2024-01-02T03:04:05.5+01:00'), '2024-01-02T03:04:05.5+01:00');
});
