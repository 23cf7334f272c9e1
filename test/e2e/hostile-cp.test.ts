// `cp` against hostile containers and archives (the class of docker's CVE-2019-14271: what a
// container hands over must not reach the host): every archive of the hostile-tar corpus
// through `cp -` into a running container, then a container whose files point out, whose
// names look like options or whiteouts, copied out to the host and on into another container.
// Nothing may be written outside the destination, on the host or in the container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { checkLanded, HOST_CANARY, HOSTILE_TARS } from '../helpers/hostile-tars.ts';
import { BUSYBOX, STRATA_BIN, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();

/** A host directory `outside` holding `secret`, and a check that it is as it was. */
function hostOutside(): { outside: string; check(): void } {
  const outside = join(tempDir(), 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'untouched');
  return {
    outside,
    check() {
      assert.deepEqual(readdirSync(outside), ['secret'], 'nothing new in the host directory outside');
      assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'untouched');
      assert.equal(lstatSync(join(outside, 'secret')).nlink, 1, 'no hardlink to the host file');
      assert.equal(existsSync(join('/etc', HOST_CANARY)), false, "nothing written in the host's /etc");
    },
  };
}

/** `strata cp CONTAINER:SRC -` as raw bytes (a tar stream). */
function cpOut(args: string[]): Buffer {
  return execFileSync(STRATA_BIN, ['cp', ...args], { env: { ...process.env, STRATA_ROOT: root }, maxBuffer: 1 << 28 });
}

function tarNames(tar: Buffer): string[] {
  return execFileSync('tar', ['-t'], { input: tar }).toString().split('\n').filter(Boolean).sort();
}

function upperDir(container: string): string {
  return strataOk(root, ['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', container]).trim();
}

test('every hostile tar through `cp -` into a running container: refused naming the entry, or kept inside the destination', () => {
  const host = hostOutside();
  strataOk(root, ['run', '-d', '--name', 'hostile-in', BUSYBOX, 'sleep', '600']);
  const dests = HOSTILE_TARS.map((_, i) => `/tmp/h${i}`);
  strataOk(root, ['exec', 'hostile-in', 'mkdir', ...dests]);
  const upper = upperDir('hostile-in');
  HOSTILE_TARS.forEach((c, i) => {
    const r = strata(root, ['cp', '-', `hostile-in:${dests[i]}`], { input: c.tar(host.outside) });
    if (c.refused !== undefined) {
      assert.equal(r.status, 1, `${c.title}: refused (${r.stderr})`);
      assert.match(r.stderr, /^Error: /, c.title);
      assert.match(r.stderr, c.refused, c.title);
    } else {
      assert.equal(r.status, 0, `${c.title}: applied (${r.stderr})`);
      checkLanded(join(upper, dests[i]!), c.lands!(host.outside));
    }
  });
  // Everything the container's layer holds now is under a destination.
  const changed = strataOk(root, ['diff', 'hostile-in']).split('\n').filter(Boolean);
  const astray = changed.filter((line) => line !== 'C /tmp' && !dests.some((d) => line.slice(2) === d || line.slice(2).startsWith(`${d}/`)));
  assert.deepEqual(astray, [], 'no change in the container outside the destinations');
  host.check();
  strataOk(root, ['rm', '-f', 'hostile-in']);
});

test('cp out of a container whose files point out, look like options or like whiteouts: copied as they are, inside the destination', () => {
  const host = hostOutside();
  strataOk(root, ['run', '--name', 'hostile-out', BUSYBOX, 'sh', '-c', [
    'mkdir /out',
    'ln -s / /out/root',
    `ln -s ${host.outside}/secret /out/abs`,
    'mkdir /climb && ln -s ../../../../../.. /climb/up',
    'ln /etc/passwd /out/hl',
    'echo dash > /out/--remove-files',
    'echo v > /out/-v',
    'echo keep-marker > /out/.wh.keep',
    'echo opq > /out/.wh..wh..opq',
    'ln -s /out/--remove-files /dashlink',
  ].join(' && ')]);
  const passwd = readFileSync(join(root, '..', 'rootfs', 'etc', 'passwd'), 'utf8');
  const dest = join(tempDir(), 'dest');
  mkdirSync(dest);

  // A directory: its links are copied as links, its hardlink as the container's file.
  strataOk(root, ['cp', 'hostile-out:/out', dest]);
  const out = join(dest, 'out');
  assert.equal(readlinkSync(join(out, 'root')), '/');
  assert.equal(readlinkSync(join(out, 'abs')), `${host.outside}/secret`);
  assert.equal(readFileSync(join(out, 'hl'), 'utf8'), passwd, "the hardlink's content is the container's passwd");
  assert.equal(readFileSync(join(out, '--remove-files'), 'utf8'), 'dash\n');
  assert.equal(readFileSync(join(out, '.wh.keep'), 'utf8'), 'keep-marker\n');
  strataOk(root, ['cp', 'hostile-out:/climb', dest]);
  assert.equal(readlinkSync(join(dest, 'climb', 'up')), '../../../../../..');
  assert.deepEqual(readdirSync(dest).sort(), ['climb', 'out'], 'nothing beside the copies');

  // -L on a link out resolves inside the container, where the host's file is not.
  const viaLink = strata(root, ['cp', '-L', 'hostile-out:/out/abs', join(dest, 'got')]);
  assert.equal(viaLink.status, 1);
  assert.match(viaLink.stderr, /Could not find the file \/out\/abs in container hostile-out/);
  assert.equal(existsSync(join(dest, 'got')), false);

  // A name the container chose that looks like an option is a name (reached through -L, it
  // is the container's choice, not the user's), and the file is still there afterwards.
  assert.deepEqual(tarNames(cpOut(['-L', 'hostile-out:/dashlink', '-'])), ['dashlink']);
  assert.deepEqual(tarNames(cpOut(['hostile-out:/out/-v', '-'])), ['-v']);
  strataOk(root, ['cp', 'hostile-out:/out/-v', join(dest, 'v')]);
  assert.equal(readFileSync(join(dest, 'v'), 'utf8'), 'v\n');
  assert.equal(strataOk(root, ['cp', 'hostile-out:/out/--remove-files', '-']).includes('dash\n'), true, 'the file is still in the container');

  // The container's tar stream into another container: whiteout-looking names are plain files
  // (as docker's cp extracts them), so nothing already in the destination is deleted.
  const stream = cpOut(['hostile-out:/out', '-']);
  strataOk(root, ['run', '-d', '--name', 'hostile-next', BUSYBOX, 'sleep', '600']);
  strataOk(root, ['exec', 'hostile-next', 'sh', '-c', 'mkdir -p /tmp/in/out && echo kept > /tmp/in/keep && echo kept > /tmp/in/out-keep && echo kept > /tmp/in/out/keep']);
  strataOk(root, ['cp', '-', 'hostile-next:/tmp/in'], { input: stream });
  // A link in the stream that climbs out of the destination is refused, naming it.
  const climbing = strata(root, ['cp', '-', 'hostile-next:/tmp/in'], { input: cpOut(['hostile-out:/climb', '-']) });
  assert.equal(climbing.status, 1);
  assert.equal(climbing.stderr, 'Error: layer entry "climb/up": symlink target "../../../../../.." points outside the layer root\n');
  const listing = strataOk(root, ['exec', 'hostile-next', 'find', '/tmp/in']).split('\n').filter(Boolean).sort();
  assert.deepEqual(listing, [
    '', '/climb', '/keep', '/out', '/out-keep', '/out/--remove-files', '/out/-v', '/out/.wh..wh..opq', '/out/.wh.keep', '/out/abs', '/out/hl', '/out/keep', '/out/root',
  ].map((p) => `/tmp/in${p}`));
  const changed = strataOk(root, ['diff', 'hostile-next']).split('\n').filter(Boolean);
  assert.deepEqual(changed.filter((l) => !/^[AC] \/tmp(\/in(\/.*)?)?$/.test(l)), [], 'no change in the container outside the destination');
  host.check();
  strataOk(root, ['rm', '-f', 'hostile-out', 'hostile-next']);
});

test('cp from the host: names that look like options or whiteouts are copied as files', () => {
  const src = join(tempDir(), 'src');
  mkdirSync(src);
  writeFileSync(join(src, '-v'), 'v\n');
  writeFileSync(join(src, '.wh.keep'), 'marker\n');
  strataOk(root, ['run', '-d', '--name', 'hostile-host', BUSYBOX, 'sleep', '600']);
  strataOk(root, ['exec', 'hostile-host', 'sh', '-c', 'mkdir -p /tmp/in && echo kept > /tmp/in/keep']);
  strataOk(root, ['cp', join(src, '-v'), 'hostile-host:/tmp/in/']);
  strataOk(root, ['cp', `${src}/.`, 'hostile-host:/tmp/in']);
  assert.deepEqual(strataOk(root, ['exec', 'hostile-host', 'find', '/tmp/in']).split('\n').filter(Boolean).sort(), ['/tmp/in', '/tmp/in/-v', '/tmp/in/.wh.keep', '/tmp/in/keep']);
  strataOk(root, ['rm', '-f', 'hostile-host']);
});

test('cp -L from the host follows the source link only: links inside it are copied as links, never the host files they name', () => {
  const host = hostOutside();
  const dir = tempDir();
  mkdirSync(join(dir, 'tree'));
  writeFileSync(join(dir, 'tree', 'plain'), 'plain\n');
  symlinkSync(join(host.outside, 'secret'), join(dir, 'tree', 'to-secret'));
  symlinkSync(join(dir, 'tree'), join(dir, 'tree-link'));
  strataOk(root, ['run', '-d', '--name', 'hostile-follow', BUSYBOX, 'sleep', '600']);
  strataOk(root, ['cp', '-L', join(dir, 'tree'), 'hostile-follow:/tmp/']);
  strataOk(root, ['cp', '-L', join(dir, 'tree-link'), 'hostile-follow:/tmp/']);
  strataOk(root, ['cp', '-L', join(dir, 'tree-link'), 'hostile-follow:/tmp/renamed']);
  const show = (path: string): string => strataOk(root, ['exec', 'hostile-follow', 'sh', '-c', `cd ${path} && for f in *; do if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f: $(cat "$f")"; fi; done`]);
  const expected = `plain: plain\nto-secret -> ${host.outside}/secret\n`;
  assert.equal(show('/tmp/tree'), expected);
  assert.equal(show('/tmp/tree-link'), expected, 'the source link is followed, and named as the link');
  assert.equal(show('/tmp/renamed'), expected);
  host.check();
  strataOk(root, ['rm', '-f', 'hostile-follow']);
});

test('cp from the host fails when tar cannot archive a source file whole, instead of passing for done', () => {
  // A sysfs file reads shorter than the size it reports: tar pads it with zeros and exits 1.
  const sysfsFile = '/sys/kernel/mm/transparent_hugepage/enabled';
  const src = join(tempDir(), 'src');
  mkdirSync(src);
  const shrinks = join(src, 'shrinks');
  writeFileSync(shrinks, '');
  execFileSync('mount', ['--bind', sysfsFile, shrinks]);
  try {
    strataOk(root, ['run', '-d', '--name', 'hostile-short', BUSYBOX, 'sleep', '600']);
    const r = strata(root, ['cp', shrinks, 'hostile-short:/tmp/']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^Error: tar failed: .*shrinks: File shrank by \d+ bytes/);
    strataOk(root, ['rm', '-f', 'hostile-short']);
  } finally {
    execFileSync('umount', [shrinks]);
  }
});
