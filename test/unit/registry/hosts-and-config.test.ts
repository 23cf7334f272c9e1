import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import {
  authConfigKey, convertToHostname, isInsecureRegistry, loadRegistrySettings, registryHost, serverAddressKey,
} from '../../../src/registry/registry-hosts.ts';
import { DockerConfig, dockerConfigPath } from '../../../src/registry/docker-config.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

test('Docker Hub is served by registry-1.docker.io and keyed https://index.docker.io/v1/', () => {
  assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
  assert.equal(registryHost('localhost:5000'), 'localhost:5000');
  assert.equal(authConfigKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(authConfigKey('ghcr.io'), 'ghcr.io');
  assert.equal(serverAddressKey(undefined), 'https://index.docker.io/v1/');
  assert.equal(serverAddressKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(serverAddressKey('https://myreg.example:5000/v2/'), 'myreg.example:5000');
  assert.equal(convertToHostname('http://host:1/a/b'), 'host:1');
});

test('loopback registries and configured ones (names and CIDRs) are insecure, as in docker', () => {
  const settings = { insecureRegistries: ['myreg.local:5000', '10.1.0.0/16', 'plain.example'], certsDirs: [] };
  for (const host of ['localhost:5000', 'localhost', '127.0.0.1:5000', '127.8.9.10', '[::1]:5000', 'myreg.local:5000', '10.1.2.3:443', 'plain.example:8080']) {
    assert.equal(isInsecureRegistry(host, settings), true, host);
  }
  for (const host of ['myreg.local:5001', '10.2.0.1', 'docker.io', 'registry-1.docker.io', '192.0.2.2:5000']) assert.equal(isInsecureRegistry(host, settings), false, host);
});

test('settings come from the first daemon.json that exists and the environment', () => {
  const dir = tempDir();
  const strataFile = join(dir, 'strata.json');
  const dockerFile = join(dir, 'docker.json');
  writeFileSync(dockerFile, JSON.stringify({ 'insecure-registries': ['docker-only:5000'] }));
  assert.deepEqual(loadRegistrySettings({}, [strataFile, dockerFile]).insecureRegistries, ['docker-only:5000']);
  writeFileSync(strataFile, JSON.stringify({ 'insecure-registries': ['http://strata:5000/'] }));
  const s = loadRegistrySettings({ STRATA_INSECURE_REGISTRIES: 'a:1, b:2', STRATA_CERTS_D: '/x:/y' }, [strataFile, dockerFile]);
  assert.deepEqual(s, { insecureRegistries: ['strata:5000', 'a:1', 'b:2'], certsDirs: ['/x', '/y'] });
  writeFileSync(strataFile, '{"insecure-registries": "nope"}');
  assert.throws(() => loadRegistrySettings({}, [strataFile]), (e: unknown) => isStrataError(e, 'invalid-argument') && /insecure-registries/.test((e as Error).message));
  writeFileSync(strataFile, '{');
  assert.throws(() => loadRegistrySettings({}, [strataFile]), /not valid JSON/);
});

test('docker\'s config.json: auth decoding, legacy keys, rewrites that keep unknown fields', async () => {
  const dir = tempDir();
  assert.equal(dockerConfigPath({ DOCKER_CONFIG: dir }), join(dir, 'config.json'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
      'https://legacy.example:5000/v1/': { auth: Buffer.from('old:secret').toString('base64') },
      'token.example': { identitytoken: 'refresh-me' },
      'broken.example': { auth: Buffer.from('no-colon').toString('base64') },
    },
    psFormat: 'table {{.ID}}',
  }));
  const config = new DockerConfig(path);
  assert.deepEqual(await config.get('https://index.docker.io/v1/'), { username: 'hub', password: 'pw:with:colons' });
  assert.deepEqual(await config.get('legacy.example:5000'), { username: 'old', password: 'secret' }, 'a legacy URL key matches its host');
  assert.deepEqual(await config.get('token.example'), { username: '', password: '', identityToken: 'refresh-me' });
  assert.equal(await config.get('nobody.example'), undefined);
  await assert.rejects(config.get('broken.example'), /invalid auth configuration file/);
  await config.store('new.example:443', { username: 'u', password: 'p' });
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(doc.psFormat, 'table {{.ID}}');
  assert.deepEqual(doc.auths['new.example:443'], { auth: Buffer.from('u:p').toString('base64') });
  assert.equal(await config.erase('legacy.example:5000'), true, 'erasing by host removes the legacy key');
  assert.equal(await config.erase('legacy.example:5000'), false);
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).auths['https://legacy.example:5000/v1/'], undefined);
});

test('credHelpers beat credsStore; a helper\'s <token> user is an identity token; a missing helper is a clear error', async () => {
  const dir = tempDir();
  const bin = tempDir();
  writeFileSync(join(bin, 'docker-credential-fixed'), '#!/bin/sh\ncase "$1" in get) read url; echo "{\\"ServerURL\\":\\"$url\\",\\"Username\\":\\"<token>\\",\\"Secret\\":\\"tok-$url\\"}";; esac\n');
  chmodSync(join(bin, 'docker-credential-fixed'), 0o755);
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ credsStore: 'absent-helper', credHelpers: { 'special.example': 'fixed' } }));
  const config = new DockerConfig(path);
  const previous = process.env['PATH'];
  process.env['PATH'] = `${bin}:${previous ?? ''}`;
  try {
    assert.deepEqual(await config.get('special.example'), { username: '', password: '', identityToken: 'tok-special.example' });
    await assert.rejects(config.get('other.example'), (e: unknown) => isStrataError(e, 'unavailable') && /docker-credential-absent-helper/.test((e as Error).message));
  } finally {
    process.env['PATH'] = previous;
  }
});
