// A push while other commands remove the image it sends: as with docker, `rmi -f` and the
// prunes succeed at once, and the push still sends what it started with and exits 0. A push
// leases the image's layers and config (they stay until it ends), and when the image is
// gone by the time the registry has the manifest, there is no record to note its digest on.
// A proxy in front of the registry holds the push at a chosen request meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOnlyGarbage } from '../helpers/store-check.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry } from '../helpers/registry-server.ts';
import { startProxy, type RegistryProxy } from '../helpers/registry-proxy.ts';
import { strataAsync } from '../helpers/registry-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import type { CliResult } from '../helpers/strata-cli.ts';
import { canRunContainers } from './containers-fixture.ts';
import { BASE, context, storeState, storeWithBase } from './build-fixture.ts';

const registry = await startRegistry();
const proxy = await startProxy(registry.host);

/** Holds every request `matches` picks until `release()`; `reached` resolves at the first. */
function holdRequests(p: RegistryProxy, matches: (method: string, path: string) => boolean): { reached: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  p.interceptor = async (req, path) => {
    if (matches(req.method ?? '', path)) {
      arrived();
      await gate;
    }
    return undefined;
  };
  return {
    reached,
    release: () => {
      release();
      p.interceptor = undefined;
    },
  };
}

/** `system check` names no problem: at most the garbage the push's lease kept until it ended. */
async function onlyGarbage(root: string): Promise<void> {
  const r = await strataAsync(root, ['system', 'check']);
  assert.ok(r.status === 0 || r.status === 1, `system check exited ${r.status}: ${r.stderr}`);
  assertOnlyGarbage(r.stdout);
}

async function ok(root: string, args: string[]): Promise<string> {
  const r = await strataAsync(root, args);
  assert.equal(r.status, 0, `strata ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stderr === '' ? r.stdout : ''}`);
  return r.stdout;
}

/** A built image (its layers are snapshots only: the push makes their blobs), tagged for the proxy. */
async function builtImage(root: string, repo: string): Promise<{ name: string; id: string; content: string }> {
  const content = `pushed ${randomBytes(8).toString('hex')}\n`;
  const ctx = context(`FROM ${BASE}\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g\n`, { 'f.txt': content });
  const name = `${proxy.host}/${repo}:1`;
  const id = (await ok(root, ['build', '-q', '-t', name, ctx])).trim();
  return { name, id, content };
}

function pushed(r: CliResult, name: string): void {
  assert.equal(r.status, 0, `push of ${name} exited ${r.status}: ${r.stderr}`);
  assert.match(r.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
}

/** Pulls `repo:1` into a fresh store and reads /g: the registry holds the whole image. */
async function pullAndRead(repo: string): Promise<string> {
  const fresh = tempDir();
  const name = `${registry.host}/${repo}:1`;
  await ok(fresh, ['pull', '-q', name]);
  return ok(fresh, ['run', '--rm', name, 'cat', '/g']);
}

test('rmi -f and every prune while a push is about to read its layers: the push still sends them whole', {
  skip: canRunContainers() ? false : 'needs root and runc to run the pushed image',
}, async () => {
  const root = storeWithBase();
  const image = await builtImage(root, 'race/layers');
  // Held when it opens its first upload, before it reads any layer.
  const hold = holdRequests(proxy, (method, path) => method === 'POST' && path.includes('/blobs/uploads/'));
  const push = strataAsync(root, ['push', image.name]);
  await hold.reached;
  assert.match(await ok(root, ['rmi', '-f', image.name]), new RegExp(`Deleted: ${image.id}`));
  await ok(root, ['image', 'prune', '-a', '-f']);
  await ok(root, ['builder', 'prune', '-a', '-f']);
  hold.release();
  pushed(await push, image.name);
  await onlyGarbage(root);
  assert.equal(await pullAndRead('race/layers'), image.content);
  // The push's lease ended with it: the next collection takes what nothing else holds.
  await ok(root, ['builder', 'prune', '-a', '-f']);
  assert.deepEqual(storeState(root), { images: 0, tags: [], cache: 0, snapshots: 0, layers: 0 });
});

test('rmi -f while a push sends its manifest: the push exits 0, with no record left to note its digest on', {
  skip: canRunContainers() ? false : 'needs root and runc to run the pushed image',
}, async () => {
  const root = storeWithBase();
  const image = await builtImage(root, 'race/manifest');
  const hold = holdRequests(proxy, (method, path) => method === 'PUT' && path.includes('/manifests/'));
  const push = strataAsync(root, ['push', image.name]);
  await hold.reached;
  assert.match(await ok(root, ['rmi', '-f', image.name]), new RegExp(`Deleted: ${image.id}`));
  hold.release();
  pushed(await push, image.name);
  assert.equal(await ok(root, ['images', '-q', '--no-trunc', image.id]), '');
  await onlyGarbage(root);
  assert.equal(await pullAndRead('race/manifest'), image.content);
});

test('a layer whose snapshot was lost (by hand, or a disk fault) fails the push with an error naming it, never a crash', async () => {
  const root = storeWithBase();
  const image = await builtImage(root, 'race/lost');
  // The top layer (COPY's, then RUN's): the newest snapshot directory holds RUN's /g.
  const dirs = readdirSync(join(root, 'snapshots', 'overlay')).map((d) => join(root, 'snapshots', 'overlay', d, 'fs'));
  const top = dirs.find((d) => existsSync(join(d, 'g')));
  assert.ok(top, 'the RUN step\'s snapshot');
  renameSync(top, `${top}.lost`);
  const r = await strataAsync(root, ['push', image.name]);
  assert.equal(r.status, 1);
  // One line (the upload's request names itself first, as Go's url errors do), no stack.
  assert.match(r.stderr, /^Error: [^\n]+\n$/);
  assert.ok(r.stderr.includes(`diff: reading "${top}": no such file or directory`), r.stderr);
});
