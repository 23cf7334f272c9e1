// Volumes through the real CLI: named (made on first use, filled from the image), anonymous
// for an image's VOLUME and for `-v /path`, binds read-only and read-write (conformance c08),
// tmpfs, `--mount` of each type, data surviving `rm`, `rm -v` removing anonymous volumes,
// the volume commands, and `system df`'s Local Volumes row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, mountsUnder, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();

// An image with a VOLUME whose content the image provides.
strataOk(root, ['run', '--name', 'volsrc', BUSYBOX, 'sh', '-c', 'mkdir -p /data && echo seeded > /data/seed && chown 7:8 /data && chmod 0750 /data']);
strataOk(root, ['commit', '-c', 'VOLUME /data', 'volsrc', 'ctest/vol:1']);
strataOk(root, ['rm', 'volsrc']);

test('named volumes: data survives the container (conformance c08), volume ls/inspect/rm', () => {
  assert.equal(strataOk(root, ['volume', 'create', 'ccase-vol']), 'ccase-vol\n');
  strataOk(root, ['run', '--rm', '-v', 'ccase-vol:/data', BUSYBOX, 'sh', '-c', 'echo persisted > /data/f']);
  assert.equal(strataOk(root, ['run', '--rm', '-v', 'ccase-vol:/data', BUSYBOX, 'cat', '/data/f']), 'persisted\n');
  assert.equal(strataOk(root, ['volume', 'ls', '--format', '{{.Name}}']), 'ccase-vol\n');
  assert.match(strataOk(root, ['volume', 'ls']), /^DRIVER\s+VOLUME NAME\nlocal\s+ccase-vol\n$/);
  const [v] = JSON.parse(strataOk(root, ['volume', 'inspect', 'ccase-vol'])) as Array<Record<string, unknown>>;
  assert.deepEqual(Object.keys(v ?? {}), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.equal(v?.['Mountpoint'], join(root, 'volumes', 'ccase-vol', '_data'));
  assert.equal(readFileSync(join(root, 'volumes', 'ccase-vol', '_data', 'f'), 'utf8'), 'persisted\n');
  assert.equal(strataOk(root, ['volume', 'rm', 'ccase-vol']), 'ccase-vol\n');
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), '');
  assert.equal(existsSync(join(root, 'volumes', 'ccase-vol')), false);
  assert.equal(strata(root, ['volume', 'rm', 'ccase-vol']).stderr, 'Error: get ccase-vol: no such volume\n');
  assert.equal(strata(root, ['volume', 'rm', '-f', 'ccase-vol']).status, 0);
});

test('a named volume is made on first use and filled from the image (owner, mode, files); nocopy skips that', () => {
  assert.equal(strataOk(root, ['run', '--rm', '-v', 'filled:/data', 'ctest/vol:1', 'sh', '-c', 'cat /data/seed; stat -c "%u:%g %a" /data']), 'seeded\n7:8 750\n');
  assert.equal(strataOk(root, ['run', '--rm', '-v', 'filled:/data', 'ctest/vol:1', 'sh', '-c', 'rm /data/seed; echo mine > /data/mine']), '');
  assert.equal(strataOk(root, ['run', '--rm', '-v', 'filled:/data', 'ctest/vol:1', 'ls', '/data']), 'mine\n', 'filled only when new and empty');
  assert.equal(strataOk(root, ['run', '--rm', '--mount', 'type=volume,src=bare,dst=/data,volume-nocopy', 'ctest/vol:1', 'ls', '/data']), '');
  strataOk(root, ['volume', 'rm', 'filled', 'bare']);
});

test('anonymous volumes: one per image VOLUME and -v /path; kept by rm, removed by rm -v and --rm', () => {
  strataOk(root, ['run', '--name', 'anon', '-v', '/extra', 'ctest/vol:1', 'sh', '-c', 'cat /data/seed; echo kept > /data/new; echo x > /extra/x']);
  const mounts = JSON.parse(strataOk(root, ['inspect', '-f', '{{json .Mounts}}', 'anon'])) as Array<Record<string, string>>;
  assert.deepEqual(mounts.map((m) => [m['Type'], m['Destination'], /^[0-9a-f]{64}$/.test(m['Name'] ?? '')]).sort(), [['volume', '/data', true], ['volume', '/extra', true]]);
  assert.deepEqual(JSON.parse(strataOk(root, ['inspect', '-f', '{{json .Config.Volumes}}', 'anon'])), { '/data': {}, '/extra': {} });
  const names = mounts.map((m) => m['Name'] as string);
  assert.equal(readFileSync(join(root, 'volumes', names[mounts.findIndex((m) => m['Destination'] === '/data')] as string, '_data', 'new'), 'utf8'), 'kept\n');
  assert.equal(strataOk(root, ['ps', '-a', '--filter', 'name=anon', '--format', '{{.LocalVolumes}}']), '2\n');
  const inUse = strata(root, ['volume', 'rm', names[0] as string]);
  assert.equal(inUse.status, 1);
  assert.match(inUse.stderr, new RegExp(`^Error: remove ${names[0]}: volume is in use - \\[[0-9a-f]{64}\\]\\n$`));
  strataOk(root, ['rm', 'anon']);
  assert.deepEqual(strataOk(root, ['volume', 'ls', '-q']).split('\n').filter(Boolean).sort(), [...names].sort(), 'rm keeps the data');
  assert.match(strataOk(root, ['volume', 'prune', '-f']), /^Deleted Volumes:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: \d+B\n$/);
  strataOk(root, ['run', '--name', 'anon2', 'ctest/vol:1', 'true']);
  strataOk(root, ['volume', 'create', 'named-too']);
  strataOk(root, ['rm', '-v', 'anon2']);
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), 'named-too\n', 'rm -v removed the anonymous volume, not the named one');
  strataOk(root, ['run', '--rm', 'ctest/vol:1', 'true']);
  assert.equal(strataOk(root, ['volume', 'ls', '-q']), 'named-too\n', '--rm removes anonymous volumes too');
  assert.match(strataOk(root, ['volume', 'prune', '-f']), /^Total reclaimed space: 0B\n$/, 'prune keeps named volumes');
  assert.match(strataOk(root, ['volume', 'prune', '-a', '-f']), /^Deleted Volumes:\nnamed-too\n/);
});

test('bind mounts: read-only and read-write (conformance c08), --mount type=bind', () => {
  const dir = tempDir();
  const host = join(dir, 'hostdir');
  mkdirSync(host);
  writeFileSync(join(host, 'h'), 'from-host\n');
  assert.equal(strataOk(root, ['run', '--rm', '-v', `${host}:/mnt/h:ro`, BUSYBOX, 'sh', '-c', 'cat /mnt/h/h; { echo nope > /mnt/h/w; } 2>/dev/null || echo read-only']), 'from-host\nread-only\n');
  strataOk(root, ['run', '--rm', '-v', `${host}:/mnt/h`, BUSYBOX, 'sh', '-c', 'echo written > /mnt/h/w']);
  assert.equal(readFileSync(join(host, 'w'), 'utf8'), 'written\n');
  assert.equal(strataOk(root, ['run', '--rm', '--mount', `type=bind,src=${host},dst=/b,readonly`, BUSYBOX, 'sh', '-c', 'cat /b/w; touch /b/x 2>/dev/null || echo ro']), 'written\nro\n');
  const rel = strata(root, ['run', '--rm', '--mount', 'type=bind,src=rel,dst=/b', BUSYBOX, 'true']);
  assert.equal(rel.status, 125);
  assert.match(rel.stderr, /invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute/);
});

test('tmpfs: --tmpfs with options and --mount type=tmpfs; nothing reaches the layer', () => {
  assert.match(strataOk(root, ['run', '--rm', '--tmpfs', '/scratch:size=1m,mode=1777', BUSYBOX, 'sh', '-c', 'grep " /scratch " /proc/mounts']), /^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k 0 0\n$/);
  assert.match(strataOk(root, ['run', '--rm', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=2m', BUSYBOX, 'sh', '-c', 'grep " /t " /proc/mounts']), /size=2048k/);
  strataOk(root, ['run', '--name', 'tmpfs-user', '--tmpfs', '/scratch', BUSYBOX, 'sh', '-c', 'echo gone > /scratch/f']);
  assert.equal(strataOk(root, ['diff', 'tmpfs-user']), 'A /scratch\n', 'only the mount point is in the layer');
  strataOk(root, ['rm', 'tmpfs-user']);
});

test('label filters as docker has them: every label= matches, and label!= excludes only what matches all of them', () => {
  strataOk(root, ['volume', 'create', '--label', 'lf=1', '--label', 'team=a', '--label', 'tier=x', 'lf-both']);
  strataOk(root, ['volume', 'create', '--label', 'lf=1', '--label', 'team=a', 'lf-team']);
  strataOk(root, ['volume', 'create', '--label', 'lf=1', 'lf-none']);
  assert.equal(strataOk(root, ['volume', 'ls', '-q', '--filter', 'label=lf', '--filter', 'label=team=a']), 'lf-both\nlf-team\n');
  assert.equal(strataOk(root, ['volume', 'ls', '-q', '--filter', 'label=lf', '--filter', 'label!=tier']), 'lf-none\nlf-team\n');
  assert.equal(strataOk(root, ['volume', 'ls', '-q', '--filter', 'label=lf', '--filter', 'label=constructor']), '', 'no label of theirs is named constructor');
  const pruned = strataOk(root, ['volume', 'prune', '-a', '-f', '--filter', 'label=lf', '--filter', 'label!=team=a', '--filter', 'label!=tier=x']);
  assert.match(pruned, /^Deleted Volumes:\n(lf-none\nlf-team|lf-team\nlf-none)\n\nTotal reclaimed space: 0B\n$/);
  assert.equal(strataOk(root, ['volume', 'ls', '-q', '--filter', 'label=lf']), 'lf-both\n');
  strataOk(root, ['volume', 'rm', 'lf-both']);
});

test('volume options, labels, filters and system df', () => {
  strataOk(root, ['volume', 'create', '--label', 'team=a', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'ram']);
  strataOk(root, ['volume', 'create', 'plain']);
  assert.equal(strataOk(root, ['volume', 'inspect', '-f', '{{json .Labels}} {{json .Options}}', 'ram']), '{"team":"a"} {"device":"tmpfs","o":"size=1m","type":"tmpfs"}\n');
  assert.equal(strataOk(root, ['run', '--rm', '-v', 'ram:/r', BUSYBOX, 'sh', '-c', 'echo x > /r/x && cat /r/x']), 'x\n');
  assert.ok(mountsUnder(join(root, 'volumes', 'ram', '_data')).length === 1, 'the local driver mounted its tmpfs');
  assert.equal(strataOk(root, ['volume', 'ls', '-q', '--filter', 'label=team=a']), 'ram\n');
  assert.equal(strataOk(root, ['volume', 'ls', '-q', '--filter', 'name=pla']), 'plain\n');
  strataOk(root, ['create', '--name', 'holder', '-v', 'plain:/p', BUSYBOX]);
  assert.equal(strataOk(root, ['volume', 'ls', '-q', '--filter', 'dangling=true']), 'ram\n');
  assert.equal(strataOk(root, ['volume', 'ls', '--format', '{{.Name}} {{.Links}}', '--filter', 'dangling=false']), 'plain 1\n');
  const df = strataOk(root, ['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}']);
  assert.match(df, /\nLocal Volumes\|2\|1\|\d+B\n/);
  assert.match(strataOk(root, ['system', 'df', '-v']), /Local Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\nplain\s+1\s+0B\nram\s+0\s+2B\n/);
  const bad = strata(root, ['volume', 'create', 'bad/name']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'Error: create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n');
  strataOk(root, ['rm', 'holder']);
  strataOk(root, ['volume', 'rm', 'ram', 'plain']);
  assert.deepEqual(mountsUnder(join(root, 'volumes')), [], 'removing the volume unmounted its tmpfs');
});
