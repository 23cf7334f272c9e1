// `docker events` through the service shows what the CLI does beside it (the store's events
// journal, tailed by the service), and `--since`/`--until` read the journal, events from
// before the service started included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { apiRequest, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { strataOk } from '../helpers/strata-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/docker-save/three-images.tar', import.meta.url));
const FORMAT = '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "name"}}';

test('docker events through the service shows the load, tag, push, rmi, pull and volume create the CLI ran beside it', { skip: NO_DOCKER_CLI }, async () => {
  const root = tempDir();
  const registry = await startRegistry();
  const service = await startService({ root });
  const follower = spawn('docker', ['-H', `unix://${service.socket}`, 'events', '--format', FORMAT]);
  let seen = '';
  follower.stdout.on('data', (c: Buffer) => {
    seen += c.toString();
  });
  await eventually(async () => ((JSON.parse((await apiRequest(service.socket, 'GET', '/info')).body) as { NEventsListener: number }).NEventsListener > 0 ? true : undefined), 10_000, 'the follower');

  strataOk(root, ['load', '-i', FIXTURE]);
  const id = strataOk(root, ['images', '-q', '--no-trunc', 'strata-fixture/one:1']).trim();
  const remote = `${registry.host}/evt/one:1`;
  strataOk(root, ['tag', 'strata-fixture/one:1', remote]);
  strataOk(root, ['push', '-q', remote]);
  const repoDigest = strataOk(root, ['image', 'inspect', '--format', '{{index .RepoDigests 0}}', remote]).trim();
  strataOk(root, ['rmi', remote]);
  strataOk(root, ['pull', '-q', remote]);
  strataOk(root, ['volume', 'create', 'cli-vol']);
  const expected = [
    'image load strata-fixture/one:1 strata-fixture/one:1',
    'image load strata-fixture/two:1 strata-fixture/two:1',
    'image load strata-fixture/three:1 strata-fixture/three:1',
    `image tag ${id} ${remote}`,
    `image push ${remote} ${remote}`,
    `image untag ${remote} `,
    // The repo digest the push recorded goes with the last tag of that repository.
    `image untag ${repoDigest} `,
    `image pull ${remote} ${remote}`,
    'volume create cli-vol ',
  ].join('\n');
  await eventually(() => (seen.includes('volume create cli-vol') ? true : undefined), 10_000, `the CLI's events (seen so far: ${JSON.stringify(seen)})`);
  follower.kill();
  assert.equal(seen, `${expected}\n`);
});

test('--since/--until read the journal: events the CLI made before the service started are there', { skip: NO_DOCKER_CLI }, async () => {
  const root = tempDir();
  const since = Math.floor(Date.now() / 1000) - 1;
  strataOk(root, ['volume', 'create', 'before-vol']);
  strataOk(root, ['volume', 'rm', 'before-vol']);
  const service = await startService({ root });
  dockerOk(service.socket, ['volume', 'create', 'after-vol']);
  const until = String(Math.floor(Date.now() / 1000) + 1);
  assert.equal(dockerOk(service.socket, ['events', '--since', String(since), '--until', until, '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']),
    'create before-vol\ndestroy before-vol\ncreate after-vol\n');
  assert.equal(dockerOk(service.socket, ['events', '--since', String(since), '--until', until, '--filter', 'volume=before-vol', '--filter', 'event=destroy', '--format', '{{.Action}} {{.Actor.ID}}']),
    'destroy before-vol\n');
  // system prune's removals are journaled like rmi's.
  strataOk(root, ['load', '-i', FIXTURE]);
  strataOk(root, ['system', 'prune', '-a', '-f']);
  const untagged = dockerOk(service.socket, ['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'event=untag', '--format', '{{.Actor.ID}}']);
  assert.deepEqual(untagged.split('\n').filter((l) => l !== '').sort(), ['strata-fixture/one:1', 'strata-fixture/three:1', 'strata-fixture/two:1']);
});
