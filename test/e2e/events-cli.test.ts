// `strata events` (`system events`): the store's events journal as docker's CLI prints it —
// the same lines, JSON and templates as `docker events` through the service gives for the
// same range — past events from --since, new ones as other commands append them, --filter,
// and clear errors for a bad filter or time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { docker, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { BUSYBOX, canRunContainers, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const skip = canRunContainers() ? false : 'containers need root and runc';

/** Unix seconds, as docker's --since/--until take them. */
const seconds = (ms: number): string => (ms / 1000).toFixed(3);

test('past events: docker\'s lines, --format json and templates, --filter; the same as docker events through the service', { skip }, async () => {
  const root = storeWithBusybox();
  const from = Date.now() - 1;
  strataOk(root, ['volume', 'create', '--label', 'tier=db', 'ev-vol']);
  strataOk(root, ['tag', BUSYBOX, 'ev/tagged:1']);
  strataOk(root, ['run', '--network', 'none', '--name', 'ev-c', '-l', 'b=2', '-l', 'a=1', BUSYBOX, 'true']);
  strataOk(root, ['rm', 'ev-c']);
  strataOk(root, ['volume', 'rm', 'ev-vol']);
  const to = Date.now() + 1;
  const range = ['--since', seconds(from), '--until', seconds(to)];

  const lines = strataOk(root, ['events', ...range]).trimEnd().split('\n');
  const shape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) (\S+) (\S+) (\S+)(?: \((.*)\))?$/;
  const rows = lines.map((l) => {
    const m = shape.exec(l);
    assert.ok(m, `docker's event line: ${l}`);
    return `${m[2]} ${m[3]} ${m[2] === 'container' && /^[0-9a-f]{64}$/.test(m[4]!) ? 'ID' : m[4]} ${m[5] ?? ''}`;
  });
  assert.deepEqual(rows.filter((r) => !r.startsWith('image')), [
    'volume create ev-vol driver=local',
    `container create ID a=1, b=2, image=${BUSYBOX}, name=ev-c`,
    `container start ID a=1, b=2, image=${BUSYBOX}, name=ev-c`,
    `container die ID a=1, b=2, exitCode=0, image=${BUSYBOX}, name=ev-c`,
    `container destroy ID a=1, b=2, image=${BUSYBOX}, name=ev-c`,
    'volume destroy ev-vol driver=local',
  ]);
  assert.ok(rows.some((r) => r.startsWith('image tag sha256:') && r.endsWith('name=ev/tagged:1')), rows.join('\n'));

  assert.equal(strataOk(root, ['events', ...range, '--filter', 'type=volume', '--filter', 'event=destroy', '--format', '{{.Type}} {{.Status}} {{.ID}} {{.Actor.Attributes.driver}}']), 'volume destroy ev-vol local\n');
  assert.equal(strataOk(root, ['system', 'events', ...range, '--filter', 'container=ev-c', '--format', '{{.Action}}']), 'create\nstart\ndie\ndestroy\n');
  const json = strataOk(root, ['events', ...range, '--filter', 'type=volume', '--format', 'json']).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(Object.keys(json[0]!), ['status', 'id', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  assert.deepEqual(json.map((m) => [m['status'], m['id'], (m['Actor'] as { Attributes: unknown }).Attributes]), [['create', 'ev-vol', { driver: 'local' }], ['destroy', 'ev-vol', { driver: 'local' }]]);

  if (NO_DOCKER_CLI) return;
  // docker's own CLI formats the service's messages: the lines must be strata's, to the character.
  const service = await startService({ root });
  const viaDocker = docker(service.socket, ['events', ...range]);
  assert.equal(viaDocker.status, 0, viaDocker.stderr);
  assert.equal(strataOk(root, ['events', ...range]), viaDocker.stdout);
  const template = ['--format', '{{json .}}'];
  assert.equal(strataOk(root, ['events', ...range, ...template]), docker(service.socket, ['events', ...range, ...template]).stdout);
});

test('following: new events as other commands append them, until Ctrl-C (exit 0)', { skip }, async () => {
  const root = storeWithBusybox();
  // --since now: what is appended while it starts following is sent once, not missed.
  const follower = spawn('bin/strata', ['--root', root, 'events', '--since', seconds(Date.now()), '--filter', 'type=volume', '--format', '{{.Action}} {{.ID}}']);
  let seen = '';
  follower.stdout.on('data', (c: Buffer) => (seen += c.toString()));
  const exited = new Promise<number | null>((resolve) => follower.once('close', (code) => resolve(code)));
  strataOk(root, ['volume', 'create', 'ev-a']);
  strataOk(root, ['volume', 'create', 'ev-b']);
  strataOk(root, ['volume', 'rm', 'ev-a']);
  await eventually(() => (seen === 'create ev-a\ncreate ev-b\ndestroy ev-a\n' ? true : undefined), 15_000, `the three volume events (seen: ${JSON.stringify(seen)})`);
  follower.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('bad input: an unknown filter, a time that is none, an argument — docker\'s errors, exit 1', { skip }, () => {
  const root = storeWithBusybox();
  for (const [args, message] of [
    [['events', '--filter', 'colour=red', '--until', '0s'], /invalid filter 'colour'/],
    [['events', '--since', 'yesterday'], /failed to parse value as time or duration: "yesterday"/],
    [['events', 'extra'], /"strata events" requires no arguments/],
  ] as const) {
    const r = strata(root, [...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
