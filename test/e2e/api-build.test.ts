// POST /build through `strata system service`, driven by the docker CLI's classic builder
// (DOCKER_BUILDKIT=0: there is no buildx here): a context streamed as a tar, tags, build
// args, labels, -q, a failing Dockerfile; and bad input — a body that is not a tar,
// malformed JSON in a query, unsupported parameters — answered with a 4xx that leaves the
// store as it was while the service keeps serving. The context is synced into a directory
// kept between builds: a rebuild writes nothing there, one changed file misses only the COPY
// that takes it, ignored files count for nothing, and the keys are those of the same tar
// unpacked afresh (the CLI's `build -`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { apiRequest, docker, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { storeContents } from '../helpers/store-contents.ts';
import { strataOk } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));
const service = await startService();
const sock = service.socket;
if (!NO_DOCKER_CLI) dockerOk(sock, ['load'], { input: readFileSync(FIXTURE) });

function context(dockerfile: string, files: Record<string, string> = {}): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('docker build: the context goes over as a tar; tags, build args and labels reach the image', { skip: NO_DOCKER_CLI }, () => {
  const dir = context('FROM strata-fixture/one:1\nARG MODE=dev\nCOPY app.txt /app.txt\nRUN ["/bin/busybox", "true"]\nLABEL mode=$MODE\n', { 'app.txt': 'hello\n' });
  const out = dockerOk(sock, ['build', '-t', 'api/built:1', '-t', 'api/built:2', '--build-arg', 'MODE=prod', '--label', 'origin=api', dir]);
  const id = strataOk(service.root, ['images', '-q', '--no-trunc', 'api/built:1']).trim();
  assert.match(out, new RegExp(`\nSuccessfully built ${id.slice(7, 19)}\nSuccessfully tagged api/built:1\nSuccessfully tagged api/built:2\n$`));
  assert.equal(strataOk(service.root, ['image', 'inspect', '--format', '{{json .Config.Labels}}', 'api/built:2']), '{"fixture":"one","mode":"prod","origin":"api"}\n');
  // -q prints the ID alone; the unchanged rebuild comes from the cache.
  assert.equal(dockerOk(sock, ['build', '-q', '--build-arg', 'MODE=prod', '--label', 'origin=api', dir]), `${id}\n`);
});

test('a Dockerfile in a subdirectory (-f), and a gzip-compressed context', { skip: NO_DOCKER_CLI }, async () => {
  const dir = context('', { 'f.txt': 'x\n' });
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'Build.file'), 'FROM strata-fixture/two:1\nCOPY f.txt /f.txt\n');
  const id = dockerOk(sock, ['build', '-q', '-f', join(dir, 'sub/Build.file'), dir]).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const tar = spawnSync('tar', ['-C', dir, '-c', '.']).stdout;
  const r = await apiRequest(sock, 'POST', '/v1.50/build?q=1&dockerfile=sub%2FBuild.file', gzipSync(tar), { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.trim().split('\r\n').map((l) => JSON.parse(l) as unknown), [{ aux: { ID: id } }, { stream: `${id}\n` }]);
});

test('a failing build: docker exits 1 with BuildKit\'s error; the service keeps serving', { skip: NO_DOCKER_CLI }, () => {
  const r = docker(sock, ['build', context('FROM strata-fixture/one:1\nFROBNICATE now\n')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /failed to solve: Dockerfile:2: unknown instruction: FROBNICATE/);
  const run = docker(sock, ['build', context('FROM strata-fixture/one:1\nRUN ["/bin/busybox", "false"]\n')]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /failed to solve: process "\/bin\/busybox false" did not complete successfully: exit code: 1/);
  assert.equal(dockerOk(sock, ['version', '--format', '{{.Server.APIVersion}}']), '1.50\n');
});

test('bad input to /build is a 4xx naming what is wrong, and changes nothing in the store', async () => {
  const before = storeContents(service.root);
  const cases: [string, string | Buffer, number, RegExp][] = [
    ['/v1.50/build', 'this is not a tar archive at all'.repeat(20), 400, /^the build context in the request body is not a tar archive/],
    ['/v1.50/build', Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0]), 400, /the build context/],
    ['/v1.50/build?buildargs=%7Bnot-json', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 400, /^invalid JSON in query parameter buildargs/],
    ['/v1.50/build?memory=1000000', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 400, /^build parameter memory=1000000 is not supported/],
    ['/v1.50/build?t=api%2FUPPER', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 400, /^invalid tag "api\/UPPER": .*must be lowercase/],
    ['/v1.50/build?version=2', spawnSync('tar', ['-C', context('FROM scratch\n'), '-c', '.']).stdout, 501, /BuildKit builds \(version=2\) are not supported/],
  ];
  for (const [path, body, status, message] of cases) {
    const r = await apiRequest(sock, 'POST', path, body, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, status, `${path}: ${r.body}`);
    assert.match((JSON.parse(r.body) as { message: string }).message, message);
  }
  assert.deepEqual(storeContents(service.root), before);
  assert.equal((await apiRequest(sock, 'GET', '/_ping')).body, 'OK');
});

test('docker builder prune through the service removes the cache the service\'s builds made', { skip: NO_DOCKER_CLI }, () => {
  const dir = context('FROM strata-fixture/two:1\nRUN ["/bin/busybox", "sh", "-c", "echo pruned > /p"]\n');
  dockerOk(sock, ['build', '-q', '-t', 'api/prune-me:1', dir]);
  dockerOk(sock, ['rmi', 'api/prune-me:1']);
  const out = dockerOk(sock, ['builder', 'prune', '-f', '-a']);
  assert.match(out, /^Deleted build cache objects:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: \d/);
  assert.match(strataOk(service.root, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']), /^Build Cache 0$/m);
  assert.deepEqual(keptContexts(), [], 'the kept contexts went too');
  const refused = docker(sock, ['builder', 'prune', '-f', '--filter', 'until=24h']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /build cache filter 'until' is not supported/);
});

/** The service's kept context directories (under the store's root). */
function keptContexts(): string[] {
  const base = join(service.root, 'build-contexts');
  try {
    return readdirSync(base).filter((n) => /^[0-9a-f]{16}$/.test(n)).map((n) => join(base, n));
  } catch {
    return [];
  }
}

/** Inode and ctime of every entry under a directory: what a rewrite would change. */
function inodes(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const st = lstatSync(join(dir, rel));
    out.push(`${rel} ${st.ino} ${st.ctimeMs}`);
    if (st.isDirectory()) for (const name of readdirSync(join(dir, rel)).sort()) walk(join(rel, name));
  };
  walk('.');
  return out;
}

/** A build through POST /build: its image ID and, per step (`COPY a.txt /a`), whether it came from the cache. */
async function apiBuild(query: string, body: Buffer): Promise<{ id: string; cached: Map<string, boolean> }> {
  const r = await apiRequest(sock, 'POST', `/v1.50/build?${query}`, body, { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200, r.body);
  const messages = r.body.trim().split('\r\n').map((l) => JSON.parse(l) as { stream?: string; aux?: { ID: string }; error?: string });
  const failed = messages.find((m) => m.error !== undefined);
  assert.equal(failed, undefined, failed?.error);
  const text = messages.map((m) => m.stream ?? '').join('');
  const names = new Map<string, string>();
  const cached = new Map<string, boolean>();
  for (const m of text.matchAll(/^#(\d+) \[\d+\/\d+\] (.*)$/gm)) {
    names.set(m[1]!, m[2]!);
    cached.set(m[2]!, false);
  }
  for (const m of text.matchAll(/^#(\d+) CACHED$/gm)) if (names.has(m[1]!)) cached.set(names.get(m[1]!)!, true);
  const id = messages.find((m) => m.aux !== undefined)?.aux?.ID;
  assert.ok(id !== undefined, text);
  return { id, cached };
}

const tarOf = (dir: string): Buffer => spawnSync('tar', ['-C', dir, '-c', '.']).stdout;

test('docker build: a no-op rebuild comes from the cache and writes nothing into the kept context', { skip: NO_DOCKER_CLI }, () => {
  const dir = context('FROM strata-fixture/one:1\nCOPY . /app\n', { 'a.txt': 'a\n', 'big.bin': 'b'.repeat(700_000) });
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'c.txt'), 'c\n');
  const first = dockerOk(sock, ['build', '-q', '-t', 'api/kept:1', dir]);
  const kept = keptContexts().filter((k) => readFileSync(join(k, 'Dockerfile'), 'utf8').includes('COPY . /app'));
  assert.equal(kept.length, 1, 'one kept context holds this build\'s files');
  const before = inodes(kept[0]!);
  const out = dockerOk(sock, ['build', '-t', 'api/kept:1', dir]);
  assert.match(out, /\[2\/2\] COPY \. \/app\n#\d+ CACHED\n/);
  assert.match(out, new RegExp(`Successfully built ${first.trim().slice(7, 19)}\n`));
  assert.deepEqual(inodes(kept[0]!), before, 'nothing in the kept context was rewritten');
});

test('through POST /build: one changed file misses only the COPY that takes it; ignored files count for nothing; gzip and a Dockerfile elsewhere', async () => {
  const dir = context('', { 'a.txt': 'a\n', 'b.txt': 'b\n', 'ignored.txt': 'one\n', '.dockerignore': 'ignored.txt\n' });
  mkdirSync(join(dir, 'build'));
  writeFileSync(join(dir, 'build', 'Dockerfile'), 'FROM strata-fixture/one:1\nCOPY a.txt /a\nCOPY b.txt /b\nCOPY . /all\n');
  const query = 't=api%2Fsteps%3A1&dockerfile=build%2FDockerfile';
  const first = await apiBuild(query, tarOf(dir));
  assert.deepEqual([...first.cached.values()].slice(-3), [false, false, false]);
  writeFileSync(join(dir, 'ignored.txt'), 'two, and longer\n');
  const ignored = await apiBuild(query, gzipSync(tarOf(dir)));
  assert.deepEqual([...ignored.cached.entries()].slice(-3), [['COPY a.txt /a', true], ['COPY b.txt /b', true], ['COPY . /all', true]]);
  assert.equal(ignored.id, first.id);
  writeFileSync(join(dir, 'b.txt'), 'B\n');
  const changed = await apiBuild(query, tarOf(dir));
  assert.deepEqual([...changed.cached.entries()].slice(-3), [['COPY a.txt /a', true], ['COPY b.txt /b', false], ['COPY . /all', false]]);
  assert.notEqual(changed.id, first.id);
  assert.equal(strataOk(service.root, ['run', '--rm', '--network', 'none', 'api/steps:1', '/bin/busybox', 'sh', '-c', 'cat /b; ls /all']), 'B\nDockerfile\na.txt\nb.txt\nbuild\n');
});

test('docker build -f with a Dockerfile outside the context (which the CLI adds to the tar, unpadded at its end)', { skip: NO_DOCKER_CLI }, () => {
  const dir = context('', { 'a.txt': 'outside\n' });
  const outside = tempDir();
  writeFileSync(join(outside, 'Dockerfile'), 'FROM strata-fixture/one:1\nCOPY a.txt /a\n');
  const id = dockerOk(sock, ['build', '-q', '-f', join(outside, 'Dockerfile'), dir]).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(dockerOk(sock, ['build', '-q', '-f', join(outside, 'Dockerfile'), dir]).trim(), id);
  // The CLI names that Dockerfile anew each time (.dockerfile.<random>): still one kept context.
  const kept = keptContexts().filter((k) => readdirSync(k).some((n) => n.startsWith('.dockerfile.')));
  assert.equal(kept.length, 1);
});

test('the kept context gives the cache keys of the same tar unpacked afresh (the CLI\'s build from stdin)', async () => {
  const dir = context('FROM strata-fixture/two:1\nCOPY . /ctx\nCOPY f.txt /f\n', { 'f.txt': 'same keys\n' });
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'g.txt'), 'g\n');
  const tar = tarOf(dir);
  strataOk(service.root, ['build', '-q', '-t', 'api/fresh:1', '-'], { input: tar });
  const fresh = strataOk(service.root, ['images', '-q', '--no-trunc', 'api/fresh:1']).trim();
  const kept = await apiBuild('t=api%2Fkept-keys%3A1', tar);
  assert.deepEqual([...kept.cached.values()].slice(-2), [true, true]);
  assert.equal(kept.id, fresh);
  // And a second, different tag is a second kept context that still hits the same cache.
  assert.equal((await apiBuild('t=api%2Fkept-keys%3A2', tar)).id, fresh);
});

test('a truncated context tar is a 400 and leaves the kept context and the store as they were', async () => {
  const dir = context('FROM strata-fixture/one:1\nCOPY . /t\n', { 'a.txt': 'a\n', 'big.bin': 'x'.repeat(300_000) });
  const query = 't=api%2Ftruncated%3A1';
  const built = await apiBuild(query, tarOf(dir));
  writeFileSync(join(dir, 'a.txt'), 'changed\n');
  writeFileSync(join(dir, 'big.bin'), 'y'.repeat(300_000));
  const tar = tarOf(dir);
  const before = storeContents(service.root);
  const gzip = gzipSync(tar);
  for (const body of [tar.subarray(0, tar.length - 150_000), gzip.subarray(0, gzip.length >> 1)]) {
    const r = await apiRequest(sock, 'POST', `/v1.50/build?${query}`, body, { 'Content-Type': 'application/x-tar' });
    const message = r.status === 200 ? r.body : (JSON.parse(r.body) as { message: string }).message;
    assert.equal(r.status, 400, message);
    assert.match(message, /the build context in the request body is not a valid tar archive: .*(truncated|unexpected end)/i);
    assert.deepEqual(storeContents(service.root), before);
  }
  const again = await apiBuild(query, tarOf(context('FROM strata-fixture/one:1\nCOPY . /t\n', { 'a.txt': 'a\n', 'big.bin': 'x'.repeat(300_000) })));
  assert.equal(again.id, built.id);
});
