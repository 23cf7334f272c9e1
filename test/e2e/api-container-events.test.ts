// `docker events --filter type=container` (and `type=network`) through the service shows the container lifecycle (and network changes) the
// CLI runs beside it, with docker's actions and attributes: create/start/stop/rm from the
// container commands, and `die` (with exitCode) appended by the supervisor when the process exits,
// whether stopped or exiting on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiRequest, docker, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { eventually } from '../helpers/eventually.ts';
import { BUSYBOX, canRunContainers, storeWithBusybox, strataOk } from './containers-fixture.ts';

const skip = NO_DOCKER_CLI || (canRunContainers() ? false : 'containers need root and runc');
const FORMAT = '{{.Type}} {{.Action}} {{.Actor.ID}} image={{index .Actor.Attributes "image"}} name={{index .Actor.Attributes "name"}} exitCode={{index .Actor.Attributes "exitCode"}} signal={{index .Actor.Attributes "signal"}} role={{index .Actor.Attributes "role"}}';

test('docker events sees the CLI\'s run -d, stop and rm, a container exiting on its own, kill, rename, pause and unpause', { skip }, async () => {
  const root = storeWithBusybox();
  const service = await startService({ root });
  const follower = spawn('docker', ['-H', `unix://${service.socket}`, 'events', '--filter', 'type=container', '--format', FORMAT]);
  let seen = '';
  follower.stdout.on('data', (c: Buffer) => {
    seen += c.toString();
  });
  try {
    await eventually(async () => ((JSON.parse((await apiRequest(service.socket, 'GET', '/info')).body) as { NEventsListener: number }).NEventsListener > 0 ? true : undefined), 10_000, 'the follower');

    const a = strataOk(root, ['run', '-d', '--name', 'ev-a', '-l', 'role=web', BUSYBOX, 'sleep', '60']).trim();
    // `stop -t 0`: SIGKILL at once, as docker's kill event says.
    strataOk(root, ['stop', '-t', '0', 'ev-a']);
    strataOk(root, ['rm', 'ev-a']);
    const b = strataOk(root, ['run', '-d', '--name', 'ev-b', BUSYBOX, 'sh', '-c', 'exit 3']).trim();
    assert.equal(strataOk(root, ['wait', 'ev-b']), '3\n');
    strataOk(root, ['rm', 'ev-b']);
    const c = strataOk(root, ['run', '-d', '--name', 'ev-c', BUSYBOX, 'sleep', '60']).trim();
    strataOk(root, ['pause', 'ev-c']);
    strataOk(root, ['unpause', 'ev-c']);
    strataOk(root, ['rename', 'ev-c', 'ev-c2']);
    strataOk(root, ['kill', 'ev-c2']);
    strataOk(root, ['wait', 'ev-c2']);
    strataOk(root, ['rm', 'ev-c2']);

    const line = (action: string, id: string, name: string, extra: { exitCode?: string; signal?: string; role?: string } = {}): string =>
      `container ${action} ${id} image=${BUSYBOX} name=${name} exitCode=${extra.exitCode ?? ''} signal=${extra.signal ?? ''} role=${extra.role ?? ''}`;
    const expected = [
      line('create', a, 'ev-a', { role: 'web' }),
      line('start', a, 'ev-a', { role: 'web' }),
      line('kill', a, 'ev-a', { signal: '9', role: 'web' }),
      line('die', a, 'ev-a', { exitCode: '137', role: 'web' }),
      line('stop', a, 'ev-a', { role: 'web' }),
      line('destroy', a, 'ev-a', { role: 'web' }),
      line('create', b, 'ev-b'),
      line('start', b, 'ev-b'),
      line('die', b, 'ev-b', { exitCode: '3' }),
      line('destroy', b, 'ev-b'),
      line('create', c, 'ev-c'),
      line('start', c, 'ev-c'),
      line('pause', c, 'ev-c'),
      line('unpause', c, 'ev-c'),
      line('rename', c, 'ev-c2'),
      line('kill', c, 'ev-c2', { signal: '9' }),
      // The supervisor was given the name at start: the die of a renamed container keeps it.
      line('die', c, 'ev-c', { exitCode: '137' }),
      line('destroy', c, 'ev-c2'),
    ];
    await eventually(() => (seen.includes(`destroy ${c}`) ? true : undefined), 10_000, `the CLI's events (seen so far: ${JSON.stringify(seen)})`);
    assert.deepEqual(seen.trimEnd().split('\n'), expected);
  } finally {
    follower.kill();
  }
});

test('the journal\'s container lines, the supervisor\'s included, have docker\'s event shape', { skip: canRunContainers() ? false : 'containers need root and runc' }, () => {
  const root = storeWithBusybox();
  const id = strataOk(root, ['run', '-d', '--name', 'shape', '-l', 'a"quote=x\\y', BUSYBOX, 'sh', '-c', 'exit 7']).trim();
  assert.equal(strataOk(root, ['wait', id]), '7\n');
  const lines = readFileSync(join(root, 'events', 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes(id));
  const events = lines.map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; time: number; timeNano: number });
  assert.deepEqual(events.map((e) => e.Action), ['create', 'start', 'die']);
  for (const e of events) {
    assert.deepEqual(Object.keys(e), ['Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
    assert.equal(e.Type, 'container');
    assert.equal(e.Actor.ID, id);
    assert.equal(e.time, Math.floor(e.timeNano / 1e9));
    // Labels go with docker's attributes, escaped in the supervisor's line as in the CLI's.
    assert.equal(e.Actor.Attributes['a"quote'], 'x\\y');
    assert.equal(e.Actor.Attributes['image'], BUSYBOX);
    assert.equal(e.Actor.Attributes['name'], 'shape');
  }
  assert.equal(events[2]?.Actor.Attributes['exitCode'], '7');
  assert.ok(events[0] !== undefined && events[2] !== undefined && events[2].timeNano >= events[0].timeNano);
});

test('docker events sees the CLI\'s network create, connect, disconnect and rm', { skip }, async () => {
  const root = storeWithBusybox();
  const service = await startService({ root });
  const follower = spawn('docker', ['-H', `unix://${service.socket}`, 'events', '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "name"}} {{index .Actor.Attributes "type"}} {{index .Actor.Attributes "container"}}']);
  let seen = '';
  follower.stdout.on('data', (c: Buffer) => {
    seen += c.toString();
  });
  try {
    await eventually(async () => ((JSON.parse((await apiRequest(service.socket, 'GET', '/info')).body) as { NEventsListener: number }).NEventsListener > 0 ? true : undefined), 10_000, 'the follower');
    const net = strataOk(root, ['network', 'create', 'ev-net']).trim();
    const c = strataOk(root, ['create', '--name', 'ev-n', BUSYBOX, 'true']).trim();
    strataOk(root, ['network', 'connect', 'ev-net', 'ev-n']);
    strataOk(root, ['network', 'disconnect', 'ev-net', 'ev-n']);
    strataOk(root, ['network', 'rm', 'ev-net']);
    await eventually(() => (seen.includes('destroy') ? true : undefined), 10_000, `the CLI's network events (seen so far: ${JSON.stringify(seen)})`);
    assert.equal(seen, [`create ${net} ev-net bridge `, `connect ${net} ev-net bridge ${c}`, `disconnect ${net} ev-net bridge ${c}`, `destroy ${net} ev-net bridge `, ''].join('\n'));
  } finally {
    follower.kill();
  }
});

test('exec_create, exec_start and exec_die with the exec\'s ID and exit code, from the CLI\'s exec (attached and -d) and docker exec through the service', { skip }, async () => {
  const root = storeWithBusybox();
  const service = await startService({ root });
  const id = strataOk(root, ['run', '-d', '--network', 'none', '--name', 'ev-x', BUSYBOX, 'sleep', '60']).trim();
  try {
    const cli = spawnSync('bin/strata', ['--root', root, 'exec', 'ev-x', 'sh', '-c', 'exit 3']);
    assert.equal(cli.status, 3, cli.stderr.toString());
    strataOk(root, ['exec', '-d', 'ev-x', 'true']);
    assert.equal(docker(service.socket, ['exec', 'ev-x', 'sh', '-c', 'exit 4']).status, 4);

    type Event = { Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
    const execEvents = (): Event[] => readFileSync(join(root, 'events', 'journal.jsonl'), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as Event).filter((e) => e.Actor.ID === id && e.Action.startsWith('exec_'));
    // The detached exec's die comes from its supervisor, after `exec -d` returned.
    const events = await eventually(() => { const e = execEvents(); return e.length === 9 ? e : undefined; }, 10_000, 'nine exec events');
    const rows = events.map((e) => `${e.Action}|${e.Actor.Attributes['exitCode'] ?? ''}|${e.Actor.Attributes['name']}|${e.Actor.Attributes['image']}`);
    const of = (cmd: string, code: string): string[] => [`exec_create: ${cmd}||ev-x|${BUSYBOX}`, `exec_start: ${cmd}||ev-x|${BUSYBOX}`, `exec_die|${code}|ev-x|${BUSYBOX}`];
    assert.deepEqual(rows, [...of('sh -c exit 3', '3'), ...of('true', '0'), ...of('sh -c exit 4', '4')]);
    const ids = events.map((e) => e.Actor.Attributes['execID']);
    for (let i = 0; i < 9; i += 3) {
      assert.match(ids[i]!, /^[0-9a-f]{64}$/);
      assert.equal(new Set(ids.slice(i, i + 3)).size, 1, 'one exec ID for the three events of one exec');
    }
    assert.equal(new Set(ids).size, 3, 'each exec its own ID');
  } finally {
    strataOk(root, ['rm', '-f', id]);
  }
});
