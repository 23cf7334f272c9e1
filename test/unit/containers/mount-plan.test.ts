// The mount plan of a new container (containers/mount-plan.ts): requests and the image's
// VOLUMEs → the mounts, the volumes to make, the volumes to fill from the image. No store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planMounts } from '../../../src/containers/index.ts';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, type MountRequest } from '../../../src/runtime/index.ts';

const none = new Set<string>();

test('a bind becomes a bind mount point with its flags; nothing to make or fill', () => {
  const plan = planMounts({
    requested: [
      parseVolumeFlag('/srv/data:/data:ro'),
      parseMountFlag('type=bind,src=/srv/logs,dst=/logs,bind-recursive=disabled'),
      parseMountFlag('type=bind,src=/srv/conf,dst=/conf,readonly,bind-recursive=writable'),
    ],
    existingVolumes: none,
  });
  assert.deepEqual(plan.mounts, [
    { Type: 'bind', Source: '/srv/data', Destination: '/data', Mode: 'ro', RW: false, Propagation: 'rprivate' },
    { Type: 'bind', Source: '/srv/logs', Destination: '/logs', Mode: '', RW: true, Propagation: 'rprivate', nonRecursive: true },
    { Type: 'bind', Source: '/srv/conf', Destination: '/conf', Mode: '', RW: false, Propagation: 'rprivate', readOnlyNonRecursive: true },
  ]);
  assert.equal(plan.newVolumes.size, 0);
  assert.deepEqual(plan.copyPending, []);
});

test('tmpfs keeps its data string', () => {
  const plan = planMounts({ requested: [parseTmpfsFlag('/scratch:size=64m,mode=1777')], existingVolumes: none });
  assert.deepEqual(plan.mounts, [{ Type: 'tmpfs', Source: '', Destination: '/scratch', Mode: '', RW: true, Propagation: '', tmpfsData: 'size=64m,mode=1777' }]);
});

test('a named volume that exists is used as it is; one that does not is made, with its driver options and labels', () => {
  const plan = planMounts({
    requested: [
      parseVolumeFlag('cache:/cache'),
      parseMountFlag('type=volume,src=fresh,dst=/fresh,volume-label=a=b,volume-opt=type=tmpfs,volume-opt=device=tmpfs'),
    ],
    existingVolumes: new Set(['cache']),
  });
  assert.deepEqual(plan.mounts, [
    { Type: 'volume', Name: 'cache', Source: '', Destination: '/cache', Driver: 'local', Mode: '', RW: true, Propagation: '' },
    { Type: 'volume', Name: 'fresh', Source: '', Destination: '/fresh', Driver: 'local', Mode: '', RW: true, Propagation: '' },
  ]);
  assert.deepEqual([...plan.newVolumes], [['/fresh', { name: 'fresh', labels: { a: 'b' }, options: { type: 'tmpfs', device: 'tmpfs' } }]]);
  assert.deepEqual(plan.copyPending, ['/cache', '/fresh'], 'both are filled at the first start if empty');
});

test('nocopy, subpath and read-only volumes', () => {
  const plan = planMounts({
    requested: [parseMountFlag('type=volume,src=vv,dst=/v,volume-nocopy,volume-subpath=sub,readonly'), parseVolumeFlag('ww:/w:ro')],
    existingVolumes: new Set(['vv', 'ww']),
  });
  assert.deepEqual(plan.mounts, [
    { Type: 'volume', Name: 'vv', Source: '', Destination: '/v', Driver: 'local', Mode: '', RW: false, Propagation: '', noCopy: true, subpath: 'sub' },
    { Type: 'volume', Name: 'ww', Source: '', Destination: '/w', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' },
  ]);
  assert.deepEqual(plan.copyPending, ['/w']);
});

test('an anonymous volume (-v /path) has no name yet and is made', () => {
  const plan = planMounts({ requested: [parseVolumeFlag('/anon')], existingVolumes: none });
  assert.deepEqual(plan.mounts, [{ Type: 'volume', Name: '', Source: '', Destination: '/anon', Driver: 'local', Mode: '', RW: true, Propagation: '' }]);
  assert.deepEqual([...plan.newVolumes], [['/anon', {}]]);
  assert.deepEqual(plan.copyPending, ['/anon']);
});

test('each image VOLUME no request covers gets an anonymous volume, after the requests; trailing slashes dropped', () => {
  const requested: MountRequest[] = [parseVolumeFlag('/srv/data:/data'), parseVolumeFlag('logs:/var/log')];
  const plan = planMounts({
    requested, imageVolumes: { '/data': {}, '/var/log/': {}, '/cache/': {}, '/': {}, '/cache': {} }, existingVolumes: new Set(['logs']),
  });
  assert.deepEqual(plan.mounts.map((m) => [m.Type, m.Name, m.Destination]), [
    ['bind', undefined, '/data'],
    ['volume', 'logs', '/var/log'],
    ['volume', '', '/cache'],
    ['volume', '', '/'],
  ]);
  assert.deepEqual([...plan.newVolumes.keys()], ['/cache', '/']);
  assert.deepEqual(plan.copyPending, ['/var/log', '/cache', '/']);
});

test('no image volumes, no requests: no mounts', () => {
  assert.deepEqual(planMounts({ requested: [], imageVolumes: null, existingVolumes: none }), { mounts: [], newVolumes: new Map(), copyPending: [] });
});
