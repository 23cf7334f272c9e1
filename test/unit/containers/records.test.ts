// Pure parts of containers/: names, the stored config docker's Config comes from, the
// list Command, state texts, container paths, and the volume store on a real database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, symlinkSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildStoredContainer, cleanContainerPath, commandLine, generateName, humanDuration, NAME_WORDS, statusText, toStatus, treeSize,
  validateName, VolumeStore, type ContainerStatus,
} from '../../../src/containers/index.ts';
import { openDatabase } from '../../../src/metadata/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('generated names are adjective_surname from the word lists; a retry adds a digit', () => {
  for (let i = 0; i < 200; i++) {
    const [mood, name] = generateName().split('_');
    assert.ok(NAME_WORDS.moods.includes(mood as string), mood);
    assert.ok(NAME_WORDS.scientists.includes(name as string), name);
  }
  assert.match(generateName(1), /^[a-z]+_[a-z]+\d$/);
  assert.ok(new Set(Array.from({ length: 50 }, () => generateName())).size > 40, 'names vary');
});

test('--name rules as docker\'s', () => {
  assert.equal(validateName('web-1.a_b'), 'web-1.a_b');
  assert.equal(validateName('/web'), 'web');
  for (const bad of ['a', '-a', 'a/b', 'a b', '', '/', 'é1']) {
    assert.throws(() => validateName(bad), (e) => isStrataError(e, 'invalid-argument') && e.message === `Invalid container name (${bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
});

const host = { Binds: null, AutoRemove: false, NetworkMode: 'default', Runtime: 'runc', SecurityOpt: null, ConsoleSize: [0, 0] as [number, number] };

test('Config as the daemon computes it at create: command, env, labels, volumes, user, hostname', () => {
  const id = 'ab'.repeat(32);
  const s = buildStoredContainer({
    id, imageRef: 'img:1', host, driver: 'overlay', mounts: [{ Type: 'volume', Name: 'cd'.repeat(32), Source: '/v', Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' }],
    image: { Env: ['PATH=/bin', 'A=image'], Entrypoint: ['/entry'], Cmd: ['default'], Labels: { z: '1', a: '2' }, Volumes: { '/data': {} }, User: 'nobody', WorkingDir: '/w', StopSignal: 'SIGQUIT' },
    run: { command: ['x', 'with space'], env: ['A=run', 'B=1'] }, labels: { m: 'run' }, attach: true, openStdin: true,
  });
  assert.equal(s.path, '/entry');
  assert.deepEqual(s.args, ['x', 'with space']);
  assert.equal(commandLine(s), "/entry x 'with space'");
  assert.deepEqual(s.config.Env, ['A=run', 'B=1', 'PATH=/bin']);
  assert.deepEqual(s.config.Entrypoint, ['/entry']);
  assert.deepEqual(s.config.Cmd, ['x', 'with space']);
  assert.deepEqual(Object.keys(s.config.Labels), ['a', 'm', 'z'], 'keys sorted as Go prints maps');
  assert.deepEqual(s.config.Volumes, { '/data': {}, '/anon': {} });
  assert.equal(s.config.User, 'nobody');
  assert.equal(s.config.WorkingDir, '/w');
  assert.equal(s.config.Hostname, id.slice(0, 12));
  assert.equal(s.config.StopSignal, 'SIGQUIT');
  assert.equal(s.config.AttachStdin && s.config.OpenStdin && s.config.StdinOnce, true);
  const entrypointCleared = buildStoredContainer({ id, imageRef: 'i', host, driver: 'overlay', mounts: [], image: { Entrypoint: ['/entry'], Cmd: ['c'] }, run: { entrypoint: '', command: ['sh'] } });
  assert.equal(entrypointCleared.path, 'sh');
  assert.throws(() => buildStoredContainer({ id, imageRef: 'i', host, driver: 'overlay', mounts: [], image: {}, run: {} }), /no command specified/);
  assert.throws(() => buildStoredContainer({ id, imageRef: 'i', host, driver: 'overlay', mounts: [], image: { Cmd: ['x'] }, run: { workdir: 'rel' } }), /needs to be an absolute path/);
});

function status(partial: Partial<ContainerStatus>): ContainerStatus {
  const base = toStatus({ status: 'exited', pid: 0, exitCode: 0, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:00Z', oomKilled: false, error: '', shimPid: 0, shimStartTime: 0, supervised: false, paused: false }, 'none');
  return { ...base, ...partial };
}

test('docker ps STATUS texts and State names', () => {
  const now = Date.parse('2026-01-01T00:02:00Z');
  assert.equal(statusText(status({ Running: true, StartedAt: '2026-01-01T00:01:57Z' }), now), 'Up 3 seconds');
  assert.equal(statusText(status({ Running: true, Paused: true, StartedAt: '2026-01-01T00:00:00Z' }), now), 'Up 2 minutes (Paused)');
  assert.equal(statusText(status({ ExitCode: 137, FinishedAt: '2026-01-01T00:01:00Z' }), now), 'Exited (137) About a minute ago');
  assert.equal(statusText(status({ Status: 'created' }), now), 'Created');
  assert.equal(statusText(status({ Status: 'dead' }), now), 'Dead');
  assert.equal(statusText(status({ Status: 'removing' }), now), 'Removal In Progress');
  const rt = { status: 'running' as const, pid: 9, exitCode: 0, startedAt: '2026-01-01T00:00:00Z', finishedAt: '0001-01-01T00:00:00Z', oomKilled: false, error: '', shimPid: 1, shimStartTime: 1, supervised: true, paused: true };
  assert.equal(toStatus(rt, 'none').Status, 'paused');
  assert.equal(toStatus({ ...rt, status: 'exited', paused: false }, 'crashed').Status, 'dead');
  assert.equal(toStatus({ ...rt, status: 'created', startedAt: '0001-01-01T00:00:00Z', paused: false }, 'none').Status, 'created');
  assert.equal(humanDuration(59_999), '59 seconds');
  assert.equal(humanDuration(3_600_000 * 47), '47 hours');
});

test('container paths: relative ones start at /, .. may not climb out', () => {
  assert.equal(cleanContainerPath('etc/passwd'), '/etc/passwd');
  assert.equal(cleanContainerPath('/a/./b/../c/'), '/a/c');
  assert.equal(cleanContainerPath('/'), '/');
  for (const bad of ['..', '/../etc', 'a/../../b']) {
    assert.throws(() => cleanContainerPath(bad), (e) => isStrataError(e, 'invalid-argument') && /escapes the container's root/.test(e.message), bad);
  }
});

test('treeSize counts files and link targets, each inode once, directories not at all', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd', 'a'), 'x'.repeat(100));
  writeFileSync(join(dir, 'b'), 'y'.repeat(10));
  utimesSync(join(dir, 'b'), 0, 0);
  linkSync(join(dir, 'b'), join(dir, 'b2'));
  symlinkSync('d/a', join(dir, 'l'));
  assert.equal(treeSize(dir), 100 + 10 + 3);
});

test('volume store: create is idempotent, names checked, in-use volumes kept, orphan directories swept', () => {
  const root = tempDir();
  const db = openDatabase(join(root, 'metadata.db'));
  const store = new VolumeStore(db, root);
  assert.equal(store.create({ name: 'v1', labels: { b: '1', a: '2' } }).Name, 'v1');
  assert.equal(store.create({ name: 'v1' }).Name, 'v1', 'creating an existing volume returns it');
  assert.deepEqual(Object.keys(store.inspect('v1').Labels ?? {}), ['a', 'b']);
  const anon = store.create({});
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.throws(() => store.create({ name: 'x' }), /volume name is too short/);
  assert.throws(() => store.create({ name: 'vv', driver: 'nfs' }), /plugin "nfs" not found/);
  assert.throws(() => store.create({ name: 'v2', options: { bogus: '1' } }), /invalid option: "bogus"/);
  assert.deepEqual(store.list().map((v) => v.Name).sort(), [anon.Name, 'v1'].sort());
  assert.deepEqual(store.prune().deleted, [anon.Name], 'prune takes anonymous volumes by default');
  mkdirSync(join(root, 'volumes', 'orphan', '_data'), { recursive: true });
  utimesSync(join(root, 'volumes', 'orphan'), 0, 0);
  assert.deepEqual(store.sweep(), ['orphan']);
  assert.equal(existsSync(join(root, 'volumes', 'orphan')), false);
  assert.equal(store.remove('v1'), true);
  assert.throws(() => store.remove('v1'), (e) => isStrataError(e, 'not-found') && e.message === 'get v1: no such volume');
  db.close();
});
