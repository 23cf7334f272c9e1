// dockerode (what Node's Docker tooling is built on) against `strata system service`:
// version negotiation, pull with progress from a registry on 127.0.0.1, build from a tar
// stream, list, inspect, tag, volumes, events, and a missing image's 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { apiRequest, startService } from '../helpers/api-service.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));

test('dockerode pulls, builds, lists, inspects, tags and manages volumes through the service', async () => {
  const registry = await startRegistry();
  const source = await startService();
  assert.equal((await apiRequest(source.socket, 'POST', '/v1.50/images/load', readFileSync(FIXTURE))).status, 200);
  const pusher = new Docker({ socketPath: source.socket });
  await pusher.getImage('strata-fixture/one:1').tag({ repo: `${registry.host}/node/one`, tag: '1' });
  const pushStream = await pusher.getImage(`${registry.host}/node/one:1`).push({ authconfig: {} });
  const pushed = await new Promise<{ aux?: { Digest: string } }[]>((resolve, reject) => pusher.modem.followProgress(pushStream, (err, out: { aux?: { Digest: string } }[]) => (err ? reject(err) : resolve(out))));
  assert.ok(pushed.some((m) => m.aux?.Digest.startsWith('sha256:')));

  const service = await startService();
  const docker = new Docker({ socketPath: service.socket });
  assert.equal((await docker.version()).ApiVersion, '1.50');
  const stream = await docker.pull(`${registry.host}/node/one:1`);
  const progress = await new Promise<{ status: string }[]>((resolve, reject) => docker.modem.followProgress(stream, (err, out: { status: string }[]) => (err ? reject(err) : resolve(out))));
  assert.equal(progress.at(-1)?.status, `Status: Downloaded newer image for ${registry.host}/node/one:1`);

  const dir = tempDir();
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${registry.host}/node/one:1\nCOPY note /note\n`);
  writeFileSync(join(dir, 'note'), 'from dockerode\n');
  const tar = spawnSync('tar', ['-C', dir, '-c', '.']).stdout;
  const { Readable } = await import('node:stream');
  const buildStream = await docker.buildImage(Readable.from([tar]), { t: 'node/built:1' });
  const built = await new Promise<{ aux?: { ID: string }; stream?: string }[]>((resolve, reject) => docker.modem.followProgress(buildStream, (err, out: { aux?: { ID: string } }[]) => (err ? reject(err) : resolve(out))));
  const id = built.find((m) => m.aux !== undefined)?.aux?.ID;
  assert.match(id ?? '', /^sha256:[0-9a-f]{64}$/);

  const images = await docker.listImages();
  assert.deepEqual(images.flatMap((i) => i.RepoTags ?? []).sort(), [`${registry.host}/node/one:1`, 'node/built:1']);
  assert.equal((await docker.getImage('node/built:1').inspect()).Id, id);
  await docker.getImage('node/built:1').tag({ repo: 'node/again', tag: 'x' });
  assert.deepEqual((await docker.getImage('node/again:x').inspect()).RepoTags.sort(), ['node/again:x', 'node/built:1']);
  await assert.rejects(docker.getImage('node/missing:1').inspect(), (err: { statusCode?: number }) => err.statusCode === 404);

  await docker.createVolume({ Name: 'node-vol', Labels: { by: 'dockerode' } });
  assert.deepEqual((await docker.listVolumes()).Volumes.map((v) => [v.Name, v.Labels]), [['node-vol', { by: 'dockerode' }]]);
  await docker.getVolume('node-vol').remove();
  assert.deepEqual((await docker.listVolumes()).Volumes, []);

  const events = await docker.getEvents({ since: Math.floor(Date.now() / 1000) - 60, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ['volume'] } });
  let text = '';
  for await (const chunk of events) text += (chunk as Buffer).toString();
  assert.deepEqual(text.trim().split('\n').map((l) => (JSON.parse(l) as { Action: string }).Action), ['create', 'destroy']);
});
