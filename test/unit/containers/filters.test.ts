// Container filters (containers/filters.ts), the one implementation behind `ps --filter` and
// `container prune --filter`, on listings made in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildStoredContainer, containerFilter, PRUNE_FILTERS, PS_FILTERS, toContainer, toStatus, type Container, type ContainerListing, type MountPoint,
} from '../../../src/containers/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { ZERO_TIME } from '../../../src/runtime/index.ts';

const host = { Binds: null, AutoRemove: false, NetworkMode: 'default', Runtime: 'runc', SecurityOpt: null, ConsoleSize: [0, 0] as [number, number] };
const IMAGE = `sha256:${'1'.repeat(64)}`;

function listing(n: number, options: { name: string; created: string; labels?: Record<string, string>; exit?: number; running?: boolean; mounts?: MountPoint[]; network?: 'host' }): ContainerListing {
  const id = String(n).repeat(64).slice(0, 64);
  const stored = buildStoredContainer({
    id, imageRef: 'app:1', host, driver: 'overlay', mounts: options.mounts ?? [], image: { Cmd: ['sh'] },
    run: options.network ? { network: options.network } : {}, ...(options.labels ? { labels: options.labels } : {}),
  });
  const container: Container = toContainer({
    id, name: options.name, imageId: IMAGE, layerChain: '', created: options.created, config: JSON.stringify(stored), lockPid: 0, lockStart: 0, lockOp: '',
  }, '/nonexistent/containers');
  const status = toStatus({
    status: options.running ? 'running' : 'exited', pid: options.running ? 42 : 0, exitCode: options.exit ?? 0,
    startedAt: '2024-05-01T10:00:00Z', finishedAt: options.running ? ZERO_TIME : '2024-05-01T10:01:00Z',
    oomKilled: false, error: '', shimPid: 0, shimStartTime: 0, supervised: false, paused: false,
  }, 'none');
  return { container, status };
}

// Newest first, as the listing comes.
const rows = [
  listing(3, { name: 'web', created: '2024-05-01T12:00:00Z', labels: { tier: 'front', keep: 'yes' }, running: true, network: 'host' }),
  listing(2, { name: 'db', created: '2024-05-01T11:00:00Z', labels: { tier: 'back' }, exit: 3, mounts: [{ Type: 'volume', Name: 'data', Source: '/v/data', Destination: '/var/lib/db', Driver: 'local', Mode: '', RW: true, Propagation: '' }] }),
  listing(1, { name: 'job', created: '2024-05-01T10:00:00Z' }),
];
const byName = (ref: string): Container => {
  const found = rows.find((r) => r.container.name === ref);
  if (found === undefined) throw new Error(`no ${ref}`);
  return found.container;
};
const now = Date.parse('2024-05-01T12:30:00Z');

function names(command: 'ps' | 'prune', filters: Record<string, string[]>): string[] {
  const pick = containerFilter(new Map(Object.entries(filters)), { accepted: command === 'ps' ? PS_FILTERS : PRUNE_FILTERS, find: byName, imageId: (ref) => (ref === 'app:1' ? IMAGE : undefined), now });
  return pick(rows).map((r) => r.container.name);
}

test('until: Go durations and times, as image prune takes them; created before it passes', () => {
  assert.deepEqual(names('prune', { until: ['1.5h'] }), ['job'], '11:00 is 1.5h before 12:30: db is not before it');
  assert.deepEqual(names('prune', { until: ['1h29m'] }), ['db', 'job']);
  assert.deepEqual(names('prune', { until: ['90m1s'] }), ['job']);
  assert.deepEqual(names('prune', { until: ['2024-05-01T11:30:00Z'] }), ['db', 'job']);
  assert.deepEqual(names('prune', { until: [String(Date.parse('2024-05-01T10:30:00Z') / 1000)] }), ['job']);
  assert.deepEqual(names('prune', { until: ['1m', '2h'] }), ['job'], 'every until applies');
});

test('label and label! (key, or key=value): every label must match, no label! may', () => {
  assert.deepEqual(names('prune', { label: ['tier'] }), ['web', 'db']);
  assert.deepEqual(names('prune', { label: ['tier', 'keep=yes'] }), ['web']);
  assert.deepEqual(names('prune', { 'label!': ['keep'] }), ['db', 'job']);
  assert.deepEqual(names('ps', { label: ['tier=back'] }), ['db']);
});

test('ps: id, name, status, exited, volume, network, ancestor, before, since', () => {
  assert.deepEqual(names('ps', { id: ['22', '11'] }), ['db', 'job']);
  assert.deepEqual(names('ps', { name: ['^/?[dj]'] }), ['db', 'job']);
  assert.deepEqual(names('ps', { status: ['running'] }), ['web']);
  assert.deepEqual(names('ps', { status: ['exited'], exited: ['3'] }), ['db']);
  assert.deepEqual(names('ps', { volume: ['data'] }), ['db']);
  assert.deepEqual(names('ps', { volume: ['/var/lib/db'] }), ['db']);
  assert.deepEqual(names('ps', { network: ['host'] }), ['web']);
  assert.deepEqual(names('ps', { network: ['none'] }), ['db', 'job']);
  assert.deepEqual(names('ps', { ancestor: ['app:1'] }).length, 3);
  assert.deepEqual(names('ps', { ancestor: ['other:1'] }), []);
  assert.deepEqual(names('ps', { before: ['web'] }), ['db', 'job']);
  assert.deepEqual(names('ps', { since: ['job'] }), ['web', 'db']);
  assert.deepEqual(names('ps', { since: ['job'], before: ['web'] }), ['db']);
  assert.deepEqual(names('ps', { 'is-task': ['true'] }), []);
});

test('each command takes its own keys; bad values are named', () => {
  const fails = (command: 'ps' | 'prune', filters: Record<string, string[]>, message: string): void => {
    assert.throws(() => names(command, filters), (e) => isStrataError(e, 'invalid-argument') && e.message === message, JSON.stringify(filters));
  };
  fails('ps', { until: ['1h'] }, "Invalid filter 'until'");
  fails('prune', { name: ['web'] }, "Invalid filter 'name'");
  fails('prune', { until: ['1.5x'] }, "invalid filter 'until=1.5x': not a timestamp or duration");
  fails('ps', { status: ['sleeping'] }, "Invalid filter 'status=sleeping'");
  assert.throws(() => names('ps', { before: ['nope'] }), /no nope/, 'before/since find their container');
});
