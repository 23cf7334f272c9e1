// `system prune` removes what docker's does, in docker's order: stopped containers, then
// (with --volumes) anonymous volumes nobody uses, then dangling images (all unused ones with
// -a), then build cache no image shares (all of it with -a); what is in use stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, buildOk, context, storeState, storeWithBase } from './build-fixture.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { removeAll } from './containers-fixture.ts';

const root = storeWithBase();

/** Runs a test body, then removes the store's containers (no process or mount outlives it). */
function withCleanup(body: () => void): () => void {
  return () => {
    try {
      body();
    } finally {
      removeAll(root);
    }
  };
}

function section(output: string, title: string): string[] {
  const m = new RegExp(`^${title}:\\n((?:.+\\n)*)`, 'm').exec(output);
  return m === null ? [] : (m[1] as string).trim().split('\n');
}

test('system prune: stopped containers, dangling images and unshared cache go; running containers and their images stay', withCleanup(() => {
  buildOk(root, ['-t', 'p/app', context(`FROM ${BASE}\nRUN echo one > /a\n`)]);
  const dangling = strataOk(root, ['images', '-q', '--no-trunc', 'p/app']).trim();
  buildOk(root, ['-t', 'p/app', context(`FROM ${BASE}\nRUN echo two > /a\n`)]);
  assert.equal(strataOk(root, ['images', '-q', '--no-trunc', '--filter', 'dangling=true']).trim(), dangling);

  const stopped = strataOk(root, ['run', '--name', 'stopped', '-v', '/anon', 'p/app', 'true']).trim();
  assert.equal(stopped, '');
  const stoppedId = strataOk(root, ['ps', '-aq', '--no-trunc', '--filter', 'name=stopped']).trim();
  const anonymous = strataOk(root, ['inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', 'stopped']).trim();
  assert.match(anonymous, /^[0-9a-f]{64}$/);
  strataOk(root, ['volume', 'create', 'named-keep']);
  strataOk(root, ['run', '-d', '--name', 'running', BASE, 'sleep', '300']);
  const cacheBefore = storeState(root).cache;

  const out = strataOk(root, ['system', 'prune', '-f']);
  assert.deepEqual(section(out, 'Deleted Containers'), [stoppedId]);
  assert.deepEqual(section(out, 'Deleted Volumes'), [], 'volumes only with --volumes');
  assert.ok(section(out, 'Deleted Images').includes(`deleted: ${dangling}`), out);
  assert.ok(section(out, 'Deleted build cache objects').length > 0, out);
  assert.match(out, /\nTotal reclaimed space: \d/);
  assert.ok(out.indexOf('Deleted Containers') < out.indexOf('Deleted Images'), 'docker order');
  assert.ok(storeState(root).cache < cacheBefore);

  assert.deepEqual(strataOk(root, ['ps', '-a', '--format', '{{.Names}}']).trim().split('\n'), ['running']);
  assert.deepEqual(strataOk(root, ['images', '--format', '{{.Repository}}']).trim().split('\n').sort(), ['cbase/busybox', 'p/app']);
  assert.deepEqual(strataOk(root, ['volume', 'ls', '-q']).trim().split('\n').sort(), [anonymous, 'named-keep'].sort());

  // --volumes: the anonymous volume nobody uses goes; a named volume stays, as in docker 23+.
  const withVolumes = strataOk(root, ['system', 'prune', '-f', '--volumes']);
  assert.deepEqual(section(withVolumes, 'Deleted Volumes'), [anonymous]);
  assert.deepEqual(strataOk(root, ['volume', 'ls', '-q']).trim().split('\n'), ['named-keep']);

  // -a: every image no container uses, and all build cache; the running container's image stays.
  const all = strataOk(root, ['system', 'prune', '-a', '-f']);
  assert.ok(section(all, 'Deleted Images').some((l) => l === 'untagged: p/app:latest'), all);
  assert.deepEqual(strataOk(root, ['images', '--format', '{{.Repository}}:{{.Tag}}']).trim(), BASE);
  assert.equal(storeState(root).cache, 0);
  assert.equal(strataOk(root, ['exec', 'running', 'echo', 'alive']), 'alive\n');
  assert.equal(strata(root, ['system', 'check']).status, 0);
}));

test('system prune asks first, and does nothing when not confirmed', withCleanup(() => {
  strataOk(root, ['run', '--name', 'kept', BASE, 'true']);
  const r = strata(root, ['system', 'prune'], { input: 'n\n' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^WARNING! This will remove:\n {2}- all stopped containers\n {2}- all dangling images\n {2}- unused build cache\n\nAre you sure you want to continue\? \[y\/N\] /);
  assert.match(strataOk(root, ['ps', '-a', '--format', '{{.Names}}']), /^kept$/m);
}));
