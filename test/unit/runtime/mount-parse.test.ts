// -v, --mount and --tmpfs parsing, with the messages docker/cli and the daemon give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkDuplicateTargets, parseMountFlag, parseTmpfsFlag, parseVolumeFlag, toRuntimeMount, validateVolumeName, type BindRequest,
} from '../../../src/runtime/mount-parse.ts';
import { mergeTmpfsOptions } from '../../../src/runtime/spec.ts';
import { parseNanoCpus, parseRamBytes } from '../../../src/runtime/units.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

test('-v: binds, named and anonymous volumes', () => {
  assert.deepEqual(parseVolumeFlag('/host/dir:/data:ro'), {
    type: 'bind', source: '/host/dir', target: '/data', readOnly: true, propagation: 'rprivate', nonRecursive: false, readOnlyNonRecursive: false, readOnlyForceRecursive: false, createSource: true, mode: 'ro',
  });
  assert.deepEqual(parseVolumeFlag('/h//x/:/d/../data'), {
    type: 'bind', source: '/h/x', target: '/data', readOnly: false, propagation: 'rprivate', nonRecursive: false, readOnlyNonRecursive: false, readOnlyForceRecursive: false, createSource: true, mode: '',
  });
  assert.equal((parseVolumeFlag('/h:/d:rw,rshared') as { propagation: string }).propagation, 'rshared');
  assert.deepEqual(parseVolumeFlag('myvol:/data'), { type: 'volume', name: 'myvol', target: '/data', readOnly: false, noCopy: false, mode: '' });
  assert.deepEqual(parseVolumeFlag('myvol:/data:ro,nocopy'), { type: 'volume', name: 'myvol', target: '/data', readOnly: true, noCopy: true, mode: 'ro,nocopy' });
  assert.deepEqual(parseVolumeFlag('/data'), { type: 'volume', target: '/data', readOnly: false, noCopy: false, mode: '' });
  // docker/cli makes a host path starting with "." absolute
  assert.equal((parseVolumeFlag('./sub:/d', '/work/here') as { source: string }).source, '/work/here/sub');
});

test('-v: bad specs fail with docker\'s messages', () => {
  const fails: Array<[string, string]> = [
    ['', 'invalid empty volume spec'],
    ['/a::/b', 'invalid spec: /a::/b: empty section between colons'],
    ['/a:/b:ro:x', 'invalid spec: /a:/b:ro:x: too many colons'],
    ['/a:rw', "invalid volume specification: '/a:rw'"],
    ['/a:/b:bogus', 'invalid mode: bogus'],
    ['/a:/b:ro,rw', 'invalid mode: ro,rw'],
    ['/a:/', `invalid volume specification: '/a:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    ['/a:rel/path', `invalid volume specification: '/a:rel/path': invalid mount config for type "bind": invalid mount path: 'rel/path' mount path must be absolute`],
    ['rel/dir:/data', '"rel/dir" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    ['bad$name:/data', '"bad$name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
  ];
  for (const [raw, message] of fails) {
    assert.throws(() => parseVolumeFlag(raw), (err) => isStrataError(err, 'invalid-argument') && err.message === message, raw);
  }
  assert.throws(() => validateVolumeName('a'), /volume name is too short/);
});

test('--mount: bind, volume, tmpfs', () => {
  assert.deepEqual(parseMountFlag('type=bind,source=/src,target=/dst,readonly,bind-propagation=rslave'), {
    type: 'bind', source: '/src', target: '/dst', readOnly: true, propagation: 'rslave', nonRecursive: false, readOnlyNonRecursive: false, readOnlyForceRecursive: false, createSource: false, mode: '',
  });
  assert.deepEqual(parseMountFlag('type=bind,src=/src,dst=/dst,bind-recursive=disabled,ro=false'), {
    type: 'bind', source: '/src', target: '/dst', readOnly: false, propagation: 'rprivate', nonRecursive: true, readOnlyNonRecursive: false, readOnlyForceRecursive: false, createSource: false, mode: '',
  });
  assert.deepEqual(parseMountFlag('source=vol1,target=/v,volume-nocopy,volume-opt=o=addr=1,volume-label=a=b'), {
    type: 'volume', name: 'vol1', target: '/v', readOnly: false, noCopy: true, driverOptions: { o: 'addr=1' }, labels: { a: 'b' }, mode: '',
  });
  assert.deepEqual(parseMountFlag('type=volume,dst=/anon'), { type: 'volume', target: '/anon', readOnly: false, noCopy: false, mode: '' });
  // docker 20.10: --mount type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770 gave mode=1770,size=2m
  assert.deepEqual(parseMountFlag('type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770'), { type: 'tmpfs', target: '/t', readOnly: false, data: 'mode=1770,size=2m' });
  assert.equal((parseMountFlag('type=tmpfs,dst=/t,tmpfs-size=1536,ro') as { data: string }).data, 'ro,size=1536');
  assert.equal((parseMountFlag('"type=bind","src=/a,b",dst=/c') as { source: string }).source, '/a,b');
});

test('--mount bind-recursive: docker\'s four values, each setting its own flag', () => {
  const flags = (raw: string): unknown => {
    const m = parseMountFlag(`type=bind,src=/s,dst=/d,${raw}`);
    assert.equal(m.type, 'bind');
    const { nonRecursive, readOnlyNonRecursive, readOnlyForceRecursive } = m as BindRequest;
    return { nonRecursive, readOnlyNonRecursive, readOnlyForceRecursive };
  };
  const none = { nonRecursive: false, readOnlyNonRecursive: false, readOnlyForceRecursive: false };
  assert.deepEqual(flags('readonly'), none);
  assert.deepEqual(flags('readonly,bind-recursive=enabled'), none);
  assert.deepEqual(flags('bind-recursive=enabled'), none);
  assert.deepEqual(flags('bind-recursive=disabled'), { ...none, nonRecursive: true });
  assert.deepEqual(flags('ro,bind-recursive=disabled'), { ...none, nonRecursive: true });
  assert.deepEqual(flags('readonly,bind-recursive=writable'), { ...none, readOnlyNonRecursive: true });
  assert.deepEqual(flags('readonly=true,bind-recursive=readonly'), { ...none, readOnlyForceRecursive: true });
  assert.deepEqual(flags('ro,bind-recursive=disabled,bind-recursive=writable'), { ...none, nonRecursive: true, readOnlyNonRecursive: true });
  // -v never sets them: its ro is recursive
  const v = parseVolumeFlag('/s:/d:ro') as BindRequest;
  assert.deepEqual([v.nonRecursive, v.readOnlyNonRecursive, v.readOnlyForceRecursive], [false, false, false]);
  // the runtime mount carries them
  assert.deepEqual(toRuntimeMount(parseMountFlag('type=bind,src=/s,dst=/d,ro,bind-recursive=writable')), {
    type: 'bind', source: '/s', destination: '/d', readOnly: true, propagation: 'rprivate', readOnlyNonRecursive: true,
  });
  assert.deepEqual(toRuntimeMount(parseMountFlag('type=bind,src=/s,dst=/d,ro,bind-recursive=readonly')), {
    type: 'bind', source: '/s', destination: '/d', readOnly: true, propagation: 'rprivate', readOnlyForceRecursive: true,
  });
  assert.deepEqual(toRuntimeMount(parseMountFlag('type=bind,src=/s,dst=/d,bind-recursive=disabled')), {
    type: 'bind', source: '/s', destination: '/d', readOnly: false, propagation: 'rprivate', nonRecursive: true,
  });
});

test('--mount: bad values fail with docker\'s messages', () => {
  const missing = (p: string): boolean => p !== '/nope';
  const fails: Array<[string, string]> = [
    ['', 'value is empty'],
    ['type=bind,source=/nope,target=/x', 'invalid mount config for type "bind": bind source path does not exist: /nope'],
    ['type=bind,target=/x', 'invalid mount config for type "bind": field Source must not be empty'],
    ['type=bind,source=rel,target=/x', "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"],
    ['type=bind,source=/a', 'invalid mount config for type "bind": field Target must not be empty'],
    ['type=volume,target=/', "invalid mount config for type \"volume\": invalid specification: destination can't be '/'"],
    ['type=tmpfs,source=/a,target=/x', 'invalid mount config for type "tmpfs": field Source must not be specified'],
    ['type=weird,target=/x', 'invalid mount config for type "weird": mount type unknown'],
    ['type=bind,source=/a,target=/x,volume-nocopy', "cannot mix 'volume-*' options with mount type 'bind'"],
    ['type=volume,target=/x,tmpfs-size=1m', "cannot mix 'tmpfs-*' options with mount type 'volume'"],
    ['type=bind,source=/a,target=/x,bogus=1', "unknown option 'bogus' in 'bogus=1'"],
    ['type=bind,source=/a,target', "invalid field 'target' must be a key=value pair"],
    ['type=bind,source=,target=/x', "invalid value for 'source': value is empty"],
    ['type=bind,source=/a,target=/x,readonly=maybe', `invalid value for 'readonly': invalid boolean value ("maybe"): must be one of "true", "1", "false", or "0" (default "true")`],
    ['type=tmpfs,target=/x,tmpfs-size=huge', 'invalid value for tmpfs-size: huge'],
    ['type=tmpfs,target=/x,tmpfs-mode=999', 'invalid value for tmpfs-mode: 999'],
    ['type=bind,source=/a,target=/x,bind-propagation=odd', 'invalid mount config for type "bind": invalid propagation mode: odd'],
    ['type=bind,source=/a,target=/x,readonly,bind-recursive=bogus', 'invalid value for bind-recursive: bogus (must be "enabled", "disabled", "writable", or "readonly")'],
    ['type=bind,source=/a,target=/x,bind-recursive=false', 'invalid value for bind-recursive: false (must be "enabled", "disabled", "writable", or "readonly")'],
    ['type=bind,source=/a,target=/x,bind-recursive', "invalid field 'bind-recursive' must be a key=value pair"],
    ['type=tmpfs,target=/x,bind-recursive=disabled', "cannot mix 'bind-*' options with mount type 'tmpfs'"],
    ['type=bind,source=/a,target=/x,bind-recursive=writable', 'mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive'],
    ['type=bind,source=/a,target=/x,readonly=false,bind-recursive=readonly', 'mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive'],
    ['type=bind,source=/a,target=/x,ro,bind-recursive=readonly,bind-recursive=writable', 'mount options conflict: ReadOnlyNonRecursive && BindOptions.ReadOnlyForceRecursive'],
    ['type=volume,target=/x,volume-subpath=a', 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes'],
    ['type=volume,source=v1,target=/x,volume-subpath=../up', 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
  ];
  for (const [raw, message] of fails) {
    assert.throws(() => parseMountFlag(raw, '/', missing), (err) => isStrataError(err, 'invalid-argument') && err.message === message, raw);
  }
});

test('--tmpfs and tmpfs option merging', () => {
  assert.deepEqual(parseTmpfsFlag('/run:size=1m,exec'), { type: 'tmpfs', target: '/run', readOnly: false, data: 'size=1m,exec' });
  assert.deepEqual(parseTmpfsFlag('/x'), { type: 'tmpfs', target: '/x', readOnly: false, data: '' });
  assert.throws(() => parseTmpfsFlag('rel'), /invalid mount path: 'rel' mount path must be absolute/);
  assert.throws(() => parseTmpfsFlag('/'), /destination can't be '\/'/);
  // later options win; order otherwise kept (moby/sys/mount MergeTmpfsOptions)
  assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m', 'exec', 'size=2m']), ['nosuid', 'nodev', 'rprivate', 'exec', 'size=2m']);
  assert.throws(() => mergeTmpfsOptions(['bogus=1']), /invalid tmpfs option "bogus"/);
  assert.throws(() => checkDuplicateTargets([{ target: '/a' }, { target: '/b' }, { target: '/a' }]), /Duplicate mount point: \/a/);
  assert.deepEqual(toRuntimeMount(parseVolumeFlag('v1:/data:ro'), '/var/lib/strata/volumes/v1/_data'), {
    type: 'bind', source: '/var/lib/strata/volumes/v1/_data', destination: '/data', readOnly: true, propagation: 'rprivate',
  });
});

test('units: docker sizes and --cpus', () => {
  assert.equal(parseRamBytes('64m'), 67108864);
  assert.equal(parseRamBytes('1g'), 1073741824);
  assert.equal(parseRamBytes('1.5GiB'), 1610612736);
  assert.equal(parseRamBytes('512'), 512);
  assert.equal(parseRamBytes('10 kb'), 10240);
  assert.throws(() => parseRamBytes('12x'), /invalid size: '12x'/);
  assert.equal(parseNanoCpus('0.5'), 500_000_000);
  assert.equal(parseNanoCpus('2'), 2_000_000_000);
  assert.equal(parseNanoCpus('1.25'), 1_250_000_000);
  assert.throws(() => parseNanoCpus('abc'), /failed to parse abc as a rational number/);
});
