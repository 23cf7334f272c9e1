// Faults while pulling from docker-registry: the registry killed mid-pull (resumed with a
// Range request after it comes back; or the pull fails cleanly and a retry fetches only
// what was missing), blobs that do not match their digest or are cut short in the
// registry's storage, a manifest over 4 MiB, HTML instead of JSON, 5xx and 429 answers,
// schema 1, a redirect to blob storage, and two pulls of one image at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, readSync, closeSync, truncateSync, writeFileSync, writeSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { strataAsync } from '../helpers/registry-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { startProxy, type Answer } from '../helpers/registry-proxy.ts';
import { makeImage, makeLayer, RawRegistry, type TestImage } from '../helpers/registry-images.ts';
import { Engine, checkStore } from '../../src/engine/index.ts';
import { loadRegistrySettings, pullImage, Registries, type ProgressEvent } from '../../src/registry/index.ts';
import { withFetchLock } from '../../src/registry/fetch-lock.ts';
import type { Digest } from '../../src/oci/index.ts';

const registry = await startRegistry();
const proxy = await startProxy(registry.host);
const raw = new RawRegistry(registry.url);
const fast = { attempts: 4, baseDelayMs: 100, maxDelayMs: 400 };

function registries(retry = fast): Registries {
  const r = new Registries({ settings: loadRegistrySettings({}, []), retry });
  after(() => r.close());
  return r;
}

/** What the store holds, to show a failed pull recorded nothing. */
function records(engine: Engine): string {
  return JSON.stringify({
    images: engine.images.records.all().map((r) => r.id),
    tags: engine.images.records.allTags().map((t) => t.name),
    layers: engine.images.layers.all().map((l) => l.chainId),
    ingest: engine.content.listIngest(),
  });
}

const EMPTY = JSON.stringify({ images: [], tags: [], layers: [], ingest: [] });

async function assertConsistent(engine: Engine): Promise<void> {
  const report = await checkStore(engine);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(engine.content.listIngest(), [], 'no partial write is left behind');
}

/** An image with two small layers and one of `bigSize` incompressible bytes. */
async function bigImage(bigSize: number): Promise<TestImage> {
  const small1 = await makeLayer({ 'one.txt': 'one\n' });
  const small2 = await makeLayer({ 'two.txt': 'two\n' });
  const big = await makeLayer({ 'big.bin': randomBytes(bigSize) });
  return makeImage([small1, small2, big]);
}

test('the registry killed in the middle of a pull and started again: the pull resumes with a Range request', async () => {
  const image = await bigImage(48 * 1024 * 1024);
  await raw.pushImage('faults/resume', '1', image);
  const engine = Engine.open({ root: tempDir() });
  after(() => engine.close());
  const big = image.layers[2];
  assert.ok(big);
  let killed = false;
  const events: ProgressEvent[] = [];
  proxy.requests.length = 0;
  const result = await pullImage(engine, `${proxy.host}/faults/resume:1`, {
    registries: registries({ attempts: 6, baseDelayMs: 200, maxDelayMs: 800 }),
    onProgress: (e) => {
      events.push(e);
      if (!killed && e.type === 'progress' && e.action === 'Downloading' && e.id === big.digest.slice(7, 19) && (e.current ?? 0) > 4_000_000) {
        killed = true;
        registry.kill();
        setTimeout(() => void registry.start(), 300);
      }
    },
  });
  assert.ok(killed, 'the registry was killed mid-transfer');
  const image0 = result.images[0];
  assert.equal(image0?.id, image.configDigest);
  const ranges = proxy.requests.filter((r) => r.path.endsWith(`/blobs/${big.digest}`) && r.range !== undefined);
  assert.ok(ranges.length >= 1, 'the big blob was resumed');
  const offset = Number(/bytes=(\d+)-/.exec(ranges.at(-1)?.range ?? '')?.[1]);
  assert.ok(offset > 4_000_000 && offset < big.blob.length, `resumed from ${offset}, not from the start`);
  assert.ok(events.some((e) => e.type === 'progress' && /^Retrying in \d+ seconds?$/.test(e.action)));
  assert.equal(engine.images.resolve(`${proxy.host}/faults/resume:1`), image.configDigest);
  await assertConsistent(engine);
});

test('the registry killed and not back in time: the pull fails cleanly, and a retry fetches only the missing blob', async () => {
  const image = await bigImage(48 * 1024 * 1024);
  await raw.pushImage('faults/retry', '1', image);
  const engine = Engine.open({ root: tempDir() });
  after(() => engine.close());
  const [small1, small2, big] = image.layers;
  assert.ok(small1 && small2 && big);
  let killed = false;
  await assert.rejects(pullImage(engine, `${proxy.host}/faults/retry:1`, {
    registries: registries({ attempts: 2, baseDelayMs: 100, maxDelayMs: 100 }),
    onProgress: (e) => {
      if (!killed && e.type === 'progress' && e.action === 'Downloading' && e.id === big.digest.slice(7, 19) && (e.current ?? 0) > 4_000_000) {
        killed = true;
        registry.kill();
      }
    },
  }), (err: Error) => /received unexpected HTTP status: 502 Bad Gateway|connection/.test(err.message));
  assert.equal(records(engine), EMPTY, 'nothing recorded');
  assert.equal(engine.content.has(big.digest as `sha256:${string}`), false);
  await assertConsistent(engine);
  for (const l of [small1, small2]) assert.ok(engine.content.has(l.digest as `sha256:${string}`), 'a verified blob stays for the retry');

  await registry.start();
  proxy.requests.length = 0;
  const result = await pullImage(engine, `${proxy.host}/faults/retry:1`, { registries: registries() });
  assert.deepEqual(result.images[0]?.fetched.map((f) => f.digest), [big.digest]);
  for (const l of [small1, small2]) assert.equal(proxy.count('GET', new RegExp(`/blobs/${l.digest}$`)), 0, `${l.digest} was not fetched again`);
  assert.equal(proxy.count('GET', new RegExp(`/blobs/${image.configDigest}$`)), 0, 'nor the config');
  await assertConsistent(engine);
});

function corrupt(path: string): void {
  const fd = openSync(path, 'r+');
  const size = statSync(path).size;
  const at = Math.floor(size / 2);
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, at);
  byte[0] = (byte[0] as number) ^ 0xff;
  writeSync(fd, byte, 0, 1, at);
  closeSync(fd);
}

test('a blob whose bytes do not match its digest, and one cut short in storage, are refused and nothing is stored', async () => {
  const bad = makeImage([await makeLayer({ 'data.bin': randomBytes(300_000) })]);
  const short = makeImage([await makeLayer({ 'data.bin': randomBytes(300_000) })]);
  await raw.pushImage('faults/bad', '1', bad);
  await raw.pushImage('faults/short', '1', short);
  const badLayer = bad.layers[0];
  const shortLayer = short.layers[0];
  assert.ok(badLayer && shortLayer);
  corrupt(registry.blobDataPath(badLayer.digest));
  truncateSync(registry.blobDataPath(shortLayer.digest), shortLayer.blob.length - 1000);

  const root = tempDir();
  const env = { DOCKER_CONFIG: tempDir() };
  const r1 = await strataAsync(root, ['pull', `${registry.host}/faults/bad:1`], { env });
  assert.equal(r1.status, 1);
  assert.match(r1.stderr, new RegExp(`^Error: filesystem layer verification failed for digest ${badLayer.digest}: digest mismatch: content hashes to sha256:[a-f0-9]{64}\\n$`));
  const r2 = await strataAsync(root, ['pull', `${registry.host}/faults/short:1`], { env });
  assert.equal(r2.status, 1);
  assert.equal(r2.stderr, `Error: filesystem layer verification failed for digest ${shortLayer.digest}: size mismatch: got ${shortLayer.blob.length - 1000} bytes, expected ${shortLayer.blob.length}\n`);

  const engine = Engine.open({ root });
  after(() => engine.close());
  assert.equal(records(engine), EMPTY);
  assert.equal(engine.content.has(badLayer.digest as `sha256:${string}`), false);
  assert.equal(engine.content.has(shortLayer.digest as `sha256:${string}`), false);
  await assertConsistent(engine);
});

test('a manifest over 4 MiB, HTML instead of JSON, schema 1, 429 and lasting 5xx get clear errors; a passing 5xx is retried', async () => {
  const image = makeImage([await makeLayer({ 'x.txt': 'x' })]);
  await raw.pushImage('faults/answers', '1', image);
  const root = tempDir();
  const env = { DOCKER_CONFIG: tempDir() };
  const name = (tag: string): string => `${proxy.host}/faults/answers:${tag}`;
  const html = '<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>';
  let flaky = 0;
  proxy.interceptor = (_req, path): Answer => {
    if (path.endsWith('/manifests/huge')) {
      const body = Buffer.from(`{"schemaVersion":2,"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`);
      return { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(body.length) }, body };
    }
    if (path.endsWith('/manifests/html')) return { status: 200, headers: { 'content-type': 'text/html' }, body: html };
    if (path.endsWith('/manifests/html404')) return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>Not Found</body></html>' };
    if (path.endsWith('/manifests/down')) return { status: 502, headers: { 'content-type': 'text/html' }, body: html };
    if (path.endsWith('/manifests/schema1')) {
      return { status: 200, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, body: JSON.stringify({ schemaVersion: 1, name: 'faults/answers', tag: 'schema1', fsLayers: [] }) };
    }
    if (path.endsWith('/manifests/limited')) {
      return {
        status: 429,
        headers: { 'content-type': 'application/json', 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600' },
        body: JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit' }] }),
      };
    }
    if (path.endsWith('/manifests/flaky') && flaky++ < 2) return { status: 503, headers: { 'content-type': 'text/plain' }, body: 'busy' };
    if (path.endsWith('/manifests/flaky')) return { status: 200, headers: { 'content-type': image.mediaType }, body: image.manifest };
    return undefined;
  };
  after(() => {
    proxy.interceptor = undefined;
  });
  const pull = (tag: string): Promise<{ status: number; stderr: string }> => strataAsync(root, ['pull', name(tag)], { env });

  const huge = await pull('huge');
  assert.equal(huge.stderr, `Error: manifest for ${name('huge')}: manifest is ${5 * 1024 * 1024 + 28} bytes, over the 4194304-byte limit\n`);
  const htmlPage = await pull('html');
  assert.equal(htmlPage.stderr, `Error: manifest for ${name('html')}: the registry answered with something that is not a manifest (text/html): invalid character '<' looking for beginning of value: ${JSON.stringify(html)}\n`);
  const html404 = await pull('html404');
  assert.equal(html404.stderr, `Error: manifest for ${name('html404')} not found: error parsing HTTP 404 response body: invalid character '<' looking for beginning of value: "<html><body>Not Found</body></html>"\n`);
  const schema1 = await pull('schema1');
  assert.match(schema1.stderr, /^Error: Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed\. Suggest the author of .*faults\/answers:schema1 to upgrade/);
  const limited = await pull('limited');
  assert.equal(limited.stderr, `Error: Get "http://${proxy.host}/v2/faults/answers/manifests/limited": toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit (ratelimit-limit: 100;w=21600, ratelimit-remaining: 0;w=21600)\nHint: wait for the rate limit window to pass, or log in to raise the limit\n`);
  assert.equal(proxy.count('GET', /\/manifests\/limited$/), 1, 'a 429 is not retried');
  const flakyPull = await pull('flaky');
  assert.equal(flakyPull.status, 0, flakyPull.stderr);
  assert.equal(flaky, 3, 'two 503s, then success');
  for (const r of [huge, htmlPage, html404, schema1, limited]) assert.equal(r.status, 1);
  // A 5xx that lasts: retried with backoff (a fast policy here), then docker's words.
  const engineForDown = Engine.open({ root: tempDir() });
  after(() => engineForDown.close());
  proxy.requests.length = 0;
  await assert.rejects(pullImage(engineForDown, name('down'), { registries: registries() }), {
    message: `Get "http://${proxy.host}/v2/faults/answers/manifests/down": received unexpected HTTP status: 502 Bad Gateway: ${JSON.stringify(html)}`,
  });
  assert.equal(proxy.count('GET', /\/manifests\/down$/), fast.attempts);

  const engine = Engine.open({ root });
  after(() => engine.close());
  assert.equal(engine.images.records.all().length, 1, 'only the flaky pull stored an image');
  await assertConsistent(engine);
});

test('a redirect to blob storage on another origin does not carry the registry\'s credentials', async () => {
  const secured = await startRegistry({ auth: { kind: 'htpasswd', users: { dave: 'pw' } } });
  const auth = `Basic ${Buffer.from('dave:pw').toString('base64')}`;
  const image = makeImage([await makeLayer({ 'r.txt': 'redirected' })]);
  await new RawRegistry(secured.url, auth).pushImage('faults/redirect', '1', image);
  const seen: (string | undefined)[] = [];
  // "Blob storage": serves a blob it fetches itself, and notes the Authorization it got.
  const storage = createServer((req, res) => {
    seen.push(req.headers.authorization);
    const digest = new URL(req.url ?? '/', 'http://x').searchParams.get('digest') ?? '';
    void fetch(`${secured.url}/v2/faults/redirect/blobs/${digest}`, { headers: { authorization: auth } }).then(async (r) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  after(() => new Promise((resolve) => storage.close(resolve)));
  const storagePort = (storage.address() as AddressInfo).port;
  const front = await startProxy(secured.host);
  front.interceptor = (req, path) => {
    const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path);
    if (req.method === 'GET' && m && req.headers.authorization) {
      return { status: 307, headers: { location: `http://localhost:${storagePort}/bucket?digest=${m[1]}&signature=abc` } };
    }
    return undefined;
  };
  const config = tempDir();
  writeFileSync(`${config}/config.json`, JSON.stringify({ auths: { [front.host]: { auth: Buffer.from('dave:pw').toString('base64') } } }));
  const root = tempDir();
  const r = await strataAsync(root, ['pull', `${front.host}/faults/redirect:1`], { env: { DOCKER_CONFIG: config } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(seen.length, 2, 'the config and the layer came from blob storage');
  assert.deepEqual(seen, [undefined, undefined], 'no credentials went to blob storage');
  assert.ok(front.requests.some((q) => q.authorization === auth), 'the registry itself got them');
});

test('two pulls of the same image at once fetch each blob once', async () => {
  const image = makeImage([
    await makeLayer({ 'a.bin': randomBytes(6 * 1024 * 1024) }),
    await makeLayer({ 'b.bin': randomBytes(6 * 1024 * 1024) }),
    await makeLayer({ 'c.bin': randomBytes(6 * 1024 * 1024) }),
  ]);
  await raw.pushImage('faults/twice', '1', image);
  const root = tempDir();
  const env = { DOCKER_CONFIG: tempDir() };
  proxy.requests.length = 0;
  const name = `${proxy.host}/faults/twice:1`;
  const [a, b] = await Promise.all([strataAsync(root, ['pull', name], { env }), strataAsync(root, ['pull', name], { env })]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  for (const digest of [...image.layers.map((l) => l.digest), image.configDigest]) {
    assert.equal(proxy.count('GET', new RegExp(`/blobs/${digest}$`)), 1, `${digest} fetched once`);
  }
  const engine = Engine.open({ root });
  after(() => engine.close());
  assert.equal(engine.images.resolve(name), image.configDigest);
  await assertConsistent(engine);
});

test('a layer whose base another pull is still fetching waits for it, then both are extracted', async () => {
  const base = await makeLayer({ 'base.bin': randomBytes(1024 * 1024) });
  const top = await makeLayer({ 'top.txt': 'top\n' });
  const image = makeImage([base, top]);
  await raw.pushImage('faults/waitbase', '1', image);
  const root = tempDir();
  const engine = Engine.open({ root });
  after(() => engine.close());
  // Another puller holds the base blob's fetch lock and stores the blob only after the top
  // layer has arrived: the top layer's commit must wait for its base, not fail.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const lockTaken = new Promise<void>((resolve) => (locked = resolve));
  const baseDigest = base.digest as Digest;
  const other = withFetchLock(join(root, 'tmp', 'fetch-locks'), baseDigest, async () => {
    locked();
    await held;
    const writer = engine.content.openWriter({ digest: baseDigest, size: base.blob.length });
    writer.write(base.blob);
    writer.commit();
  }, { stored: () => engine.content.has(baseDigest) });
  await lockTaken;
  // The other puller lets go once this pull waits for the base and has the top layer.
  const seen = new Set<string>();
  const pulling = pullImage(engine, `${registry.host}/faults/waitbase:1`, {
    registries: registries(),
    onProgress: (e) => { if (e.type === 'progress') seen.add(`${e.id} ${e.action}`); },
  });
  await eventually(() => (seen.has(`${base.digest.slice(7, 19)} Waiting`) && seen.has(`${top.digest.slice(7, 19)} Download complete`) ? true : undefined), 60_000, 'the pull to wait for the base with the top layer downloaded');
  release();
  await other;
  const result = await pulling;
  assert.equal(result.images[0]?.id, image.configDigest);
  await assertConsistent(engine);
});

test('a pull canceled mid-blob (Ctrl-C) stops at once and leaves no partial write and no record', async () => {
  const image = await bigImage(32 * 1024 * 1024);
  await raw.pushImage('faults/cancel', '1', image);
  const engine = Engine.open({ root: tempDir() });
  after(() => engine.close());
  const controller = new AbortController();
  const big = image.layers[2];
  assert.ok(big);
  await assert.rejects(pullImage(engine, `${registry.host}/faults/cancel:1`, {
    registries: registries(),
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'progress' && e.action === 'Downloading' && e.id === big.digest.slice(7, 19) && (e.current ?? 0) > 2_000_000) controller.abort();
    },
  }), (err: unknown) => err instanceof Error && 'code' in err && err.code === 'canceled' && err.message === 'pull canceled');
  assert.equal(records(engine), EMPTY);
  assert.equal(engine.content.has(big.digest as `sha256:${string}`), false);
  await assertConsistent(engine);
});
