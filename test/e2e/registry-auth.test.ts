// Authentication against docker-registry: htpasswd basic auth, and a token server in Docker
// Hub's manner (401 with a Bearer challenge, token, retry). login/logout through docker's
// config.json, a docker-credential-* helper, token refresh on expiry and on scope change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliResult } from '../helpers/strata-cli.ts';
import { strataAsync } from '../helpers/registry-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { startTokenServer } from '../helpers/registry-token-server.ts';
import { dockerArchive, makeImage, makeLayer } from '../helpers/registry-images.ts';
import { Engine } from '../../src/engine/index.ts';
import { loadRegistrySettings, pullImage, pushImage, Registries } from '../../src/registry/index.ts';

function cli(root: string, config: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<CliResult> {
  return strataAsync(root, args, { env: { DOCKER_CONFIG: config, ...options.env }, ...(options.input !== undefined ? { input: options.input } : {}) });
}

function ok(r: CliResult, what: string): string {
  assert.equal(r.status, 0, `${what} failed: ${r.stderr}`);
  return r.stdout;
}

async function loadTestImage(root: string, config: string, tag: string): Promise<string> {
  const image = makeImage([await makeLayer({ 'hello.txt': `hello from ${tag}\n` })]);
  ok(await cli(root, config, ['load'], { input: await dockerArchive([{ image, tags: [tag] }]) }), 'load');
  return image.configDigest;
}

test('htpasswd registry: no credentials, wrong ones, login, push and pull, logout', async () => {
  const registry = await startRegistry({ auth: { kind: 'htpasswd', users: { alice: 'secret' } } });
  const root = tempDir();
  const config = tempDir('strata-docker-config-');
  const name = `${registry.host}/team/app:1`;
  const id = await loadTestImage(root, config, name);

  const anonymous = await cli(root, config, ['pull', name]);
  assert.equal(anonymous.status, 1);
  assert.equal(anonymous.stderr, `Error: Get "http://${registry.host}/v2/team/app/manifests/1": no basic auth credentials\n`);

  const wrong = await cli(root, config, ['login', '-u', 'alice', '--password-stdin', registry.host], { input: 'nope\n' });
  assert.equal(wrong.status, 1);
  assert.equal(wrong.stderr, `Error: login attempt to http://${registry.host}/v2/ failed with status: 401 Unauthorized\n`);
  assert.equal(existsSync(join(config, 'config.json')), false, 'refused credentials are not stored');

  const interactive = await cli(root, config, ['login', registry.host], { input: '' });
  assert.equal(interactive.status, 1);
  assert.match(interactive.stderr, /cannot perform an interactive login from a non-TTY device/);

  const login = await cli(root, config, ['login', '-u', 'alice', '--password-stdin', registry.host], { input: 'secret\n' });
  assert.equal(ok(login, 'login'), 'Login Succeeded\n');
  assert.match(login.stderr, /WARNING! Your credentials are stored unencrypted in '.*config\.json'/);
  const stored = JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(stored.auths[registry.host]?.auth, Buffer.from('alice:secret').toString('base64'));
  // Login again with the stored credentials, as docker does without -u.
  assert.equal(ok(await cli(root, config, ['login', registry.host]), 'login again'), 'Login Succeeded\n');

  ok(await cli(root, config, ['push', name]), 'push');
  ok(await cli(root, config, ['rmi', name]), 'rmi');
  ok(await cli(root, config, ['pull', name]), 'pull');
  assert.equal(ok(await cli(root, config, ['images', '--no-trunc', '-q', name]), 'images').trim(), id);

  assert.equal(ok(await cli(root, config, ['logout', registry.host]), 'logout'), `Removing login credentials for ${registry.host}\n`);
  assert.deepEqual(JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')).auths, {});
  assert.equal((await cli(root, config, ['pull', name])).status, 1);

  // Wrong stored credentials: docker's words from the registry.
  writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('alice:stale').toString('base64') } } }));
  const stale = await cli(root, config, ['pull', name]);
  assert.equal(stale.status, 1);
  assert.equal(stale.stderr, `Error: Get "http://${registry.host}/v2/team/app/manifests/1": unauthorized: authentication required\n`);
});

test('credentials kept by a docker-credential helper named in credsStore', async () => {
  const registry = await startRegistry({ auth: { kind: 'htpasswd', users: { carol: 'pw with spaces' } } });
  const root = tempDir();
  const config = tempDir('strata-docker-config-');
  const bin = tempDir('strata-helper-bin-');
  const vault = tempDir('strata-helper-vault-');
  // A helper speaking docker's protocol, keeping each server's JSON in a file.
  writeFileSync(join(bin, 'docker-credential-strata-test'), `#!/bin/sh
key() { printf %s "$1" | base64 | tr -d '\\n/'; }
case "$1" in
  store) json=$(cat); url=$(printf %s "$json" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p'); printf %s "$json" > "${vault}/$(key "$url")" ;;
  get) read -r url; f="${vault}/$(key "$url")"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) read -r url; rm -f "${vault}/$(key "$url")" ;;
esac
`);
  chmodSync(join(bin, 'docker-credential-strata-test'), 0o755);
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'config.json'), JSON.stringify({ credsStore: 'strata-test', currentContext: 'default' }));
  const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  const name = `${registry.host}/vault/app:1`;
  await loadTestImage(root, config, name);

  const login = await cli(root, config, ['login', '-u', 'carol', '--password-stdin', registry.host], { input: 'pw with spaces', env });
  assert.equal(ok(login, 'login'), 'Login Succeeded\n');
  assert.doesNotMatch(login.stderr, /unencrypted/);
  const doc = JSON.parse(readFileSync(join(config, 'config.json'), 'utf8'));
  assert.deepEqual(doc, { credsStore: 'strata-test', currentContext: 'default', auths: { [registry.host]: {} } }, 'other fields kept, only a marker in auths');
  assert.equal(readdirSync(vault).length, 1);
  ok(await cli(root, config, ['push', name], { env }), 'push through the helper');
  ok(await cli(root, config, ['logout', registry.host], { env }), 'logout');
  assert.equal(readdirSync(vault).length, 0, 'the helper erased the credentials');
  const missing = await cli(root, config, ['push', name], { env: { PATH: '/usr/bin:/bin' } });
  assert.equal(missing.status, 1);
});

test('token auth in Docker Hub\'s manner: anonymous pull of public repositories, login to push, docker\'s denial message', async () => {
  const tokens = await startTokenServer({ users: { bob: 'hunter2' }, publicRepositories: ['pub/app'] });
  const registry = await startRegistry({ auth: tokens.registryAuth });
  const root = tempDir();
  const config = tempDir('strata-docker-config-');
  const pub = `${registry.host}/pub/app:1`;
  const priv = `${registry.host}/priv/app:1`;
  const id = await loadTestImage(root, config, pub);
  ok(await cli(root, config, ['tag', pub, priv]), 'tag');

  const anonymousPush = await cli(root, config, ['push', pub]);
  assert.equal(anonymousPush.status, 1);
  assert.equal(anonymousPush.stderr.split('\n')[0], 'Error: denied: requested access to the resource is denied');

  const badLogin = await cli(root, config, ['login', '-u', 'bob', '--password-stdin', registry.host], { input: 'wrong' });
  assert.equal(badLogin.status, 1);
  assert.equal(badLogin.stderr, `Error: Get "http://${registry.host}/v2/": unauthorized: incorrect username or password\n`);
  assert.equal(ok(await cli(root, config, ['login', '-u', 'bob', '-p', 'hunter2', registry.host]), 'login'), 'Login Succeeded\n');
  const loginToken = tokens.requests.at(-1);
  assert.deepEqual(loginToken, { scopes: [], user: 'bob', account: 'bob', granted: [] }, 'login asks for a token with no scope');

  ok(await cli(root, config, ['push', pub]), 'push pub');
  ok(await cli(root, config, ['push', priv]), 'push priv');
  assert.ok(tokens.requests.some((r) => r.user === 'bob' && r.granted.includes('pub/app:pull,push')));

  ok(await cli(root, config, ['logout', registry.host]), 'logout');
  ok(await cli(root, config, ['rmi', pub, priv]), 'rmi');
  ok(await cli(root, config, ['pull', pub]), 'anonymous pull of a public repository');
  assert.equal(ok(await cli(root, config, ['images', '--no-trunc', '-q', pub]), 'images').trim(), id);
  const last = tokens.requests.at(-1);
  assert.equal(last?.user, undefined);
  assert.deepEqual(last?.granted, ['pub/app:pull']);

  const denied = await cli(root, config, ['pull', priv]);
  assert.equal(denied.status, 1);
  assert.equal(denied.stderr, `Error: pull access denied for ${registry.host}/priv/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n`);
});

test('tokens are cached per scope, fetched again when they expire and when a push needs more scope', async () => {
  const tokens = await startTokenServer({ users: { bob: 'hunter2' }, expiresIn: 2 });
  const registry = await startRegistry({ auth: tokens.registryAuth });
  const engine = Engine.open({ root: tempDir() });
  const image = makeImage([await makeLayer({ 'a.txt': 'a' }), await makeLayer({ 'b.txt': 'b' })]);
  const { ArchiveLoader } = await import('../../src/archive/index.ts');
  const { Readable } = await import('node:stream');
  await new ArchiveLoader(engine.images, engine.content, engine.gc).load({
    source: Readable.from([await dockerArchive([{ image, tags: [`${registry.host}/cache/app:1`] }])]), sourceName: 'test archive',
  });
  const registries = new Registries({ settings: loadRegistrySettings({}, []), credentials: async () => ({ username: 'bob', password: 'hunter2' }) });
  const client = registries.client(registry.host);
  try {
    await pushImage(engine, `${registry.host}/cache/app:1`, { registries });
    const afterPush = client.tokenFetches;
    assert.equal(afterPush, 1, 'one push-scope token serves every request of the push');
    await pullImage(engine, `${registry.host}/cache/app:1`, { registries });
    assert.equal(client.tokenFetches, afterPush + 1, 'a pull-only scope set is another token');
    await pullImage(engine, `${registry.host}/cache/app:1`, { registries });
    assert.equal(client.tokenFetches, afterPush + 1, 'the cached token is reused while it is valid');
    await new Promise((r) => setTimeout(r, 2100));
    await pullImage(engine, `${registry.host}/cache/app:1`, { registries });
    assert.equal(client.tokenFetches, afterPush + 2, 'an expired token is fetched again');
    assert.ok(tokens.requests.every((r) => r.user === 'bob'));
  } finally {
    await registries.close();
    engine.close();
  }
});
