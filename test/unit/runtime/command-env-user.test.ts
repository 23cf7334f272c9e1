// docker's rules for the process a container runs: ENTRYPOINT/CMD merging, env layering
// and env files, and -u resolution against passwd/group (expectations from docker 20.10
// runs on this machine and moby's code, as noted per case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCommand } from '../../../src/runtime/command.ts';
import type { ImageRunConfig } from '../../../src/runtime/image-config.ts';
import {
  collectRunEnv, containerProcessEnv, mergeImageEnv, parseEnvFile, replaceOrAppendEnv, resolveEnvFlag, DEFAULT_PATH_ENV,
} from '../../../src/runtime/env.ts';
import { resolveUser } from '../../../src/runtime/user.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port', '80'] };

test('command: docker ENTRYPOINT/CMD rules', () => {
  const cases: Array<[string, Parameters<typeof resolveCommand>[0], Parameters<typeof resolveCommand>[1], string[]]> = [
    ['image entrypoint + cmd', image, {}, ['/entry.sh', 'serve', '--port', '80']],
    ['run args replace CMD only', image, { command: ['debug'] }, ['/entry.sh', 'debug']],
    ['--entrypoint x drops the image CMD', image, { entrypoint: '/bin/sh' }, ['/bin/sh']],
    ['--entrypoint x with run args', image, { entrypoint: '/bin/sh', command: ['-c', 'echo hi'] }, ['/bin/sh', '-c', 'echo hi']],
    ["--entrypoint '' with run args", image, { entrypoint: '', command: ['ls', '-l'] }, ['ls', '-l']],
    ['shell-form CMD as stored by a build', { Cmd: ['/bin/sh', '-c', 'echo $HOME'] }, {}, ['/bin/sh', '-c', 'echo $HOME']],
    ['no image config', undefined, { command: ['true'] }, ['true']],
    ['null fields as docker writes them', { Entrypoint: null, Cmd: ['sh'] }, {}, ['sh']],
    ['an --entrypoint with spaces is one word', {}, { entrypoint: 'my prog' }, ['my prog']],
    ['empty run args keep CMD', image, { command: [] }, ['/entry.sh', 'serve', '--port', '80']],
  ];
  for (const [name, img, run, want] of cases) {
    const got = resolveCommand(img, run);
    assert.deepEqual([got.path, ...got.args], want, name);
  }
  const merged = resolveCommand(image, { command: ['debug'] });
  assert.deepEqual(merged.entrypoint, ['/entry.sh']);
  assert.deepEqual(merged.cmd, ['debug']);
});

test('command: nothing to run is docker\'s "no command specified"', () => {
  const cases: Array<[ImageRunConfig, { entrypoint?: string }]> = [[{}, {}], [image, { entrypoint: '' }], [{ Cmd: [] }, {}]];
  for (const [img, run] of cases) {
    assert.throws(() => resolveCommand(img, run), (err) => isStrataError(err, 'invalid-argument') && err.message === 'no command specified');
  }
});

test('env: -e KEY takes the caller\'s value or stays bare', () => {
  const lookup = (k: string): string | undefined => ({ HOME: '/root', EMPTY: '' } as Record<string, string>)[k];
  assert.equal(resolveEnvFlag('A=1', lookup), 'A=1');
  assert.equal(resolveEnvFlag('A=', lookup), 'A=');
  assert.equal(resolveEnvFlag('HOME', lookup), 'HOME=/root');
  assert.equal(resolveEnvFlag('EMPTY', lookup), 'EMPTY=');
  assert.equal(resolveEnvFlag('UNSET', lookup), 'UNSET');
  assert.throws(() => resolveEnvFlag('=x', lookup), /invalid environment variable: =x/);
});

test('env: env files as docker/cli parses them', () => {
  const lookup = (k: string): string | undefined => (k === 'FROMHOST' ? 'hostval' : undefined);
  const file = '\uFEFF# comment\n\n   A=1\nB= spaced value \nC="quoted"\nFROMHOST\nMISSING\nD=x=y\r\n';
  assert.deepEqual(parseEnvFile(file, 'f.env', lookup), ['A=1', 'B= spaced value ', 'C="quoted"', 'FROMHOST=hostval', 'D=x=y']);
  assert.throws(() => parseEnvFile('OK=1\n=bad\n', 'f.env', lookup), /invalid env file \(f\.env\): no variable name on line '=bad'/);
  assert.throws(() => parseEnvFile('MY VAR=1\n', 'f.env', lookup), /variable 'MY VAR' contains whitespaces/);
  assert.throws(() => parseEnvFile(Buffer.from([0x41, 0x3d, 0xff, 0x0a]), 'f.env', lookup), /invalid utf8 bytes at line 1/);
  assert.deepEqual(
    collectRunEnv({ envFiles: [{ name: 'a', content: 'X=file\nY=file\n' }], env: ['X=flag'], lookup }),
    ['X=file', 'Y=file', 'X=flag'],
  );
});

test('env: layering over PATH/HOSTNAME/TERM as the daemon does', () => {
  // docker 20.10: -t -e A=1 -e PATH=/bin --hostname hh gave [PATH=/bin HOSTNAME=hh TERM=xterm A=1]
  const config = mergeImageEnv(['PATH=/img', 'IMG=1'], ['A=1', 'PATH=/bin']);
  assert.deepEqual(config, ['A=1', 'PATH=/bin', 'IMG=1']);
  assert.deepEqual(containerProcessEnv(config, 'hh', true), ['PATH=/bin', 'HOSTNAME=hh', 'TERM=xterm', 'A=1', 'IMG=1']);
  assert.deepEqual(containerProcessEnv([], 'h', false), [`PATH=${DEFAULT_PATH_ENV}`, 'HOSTNAME=h']);
  // a bare name (-e FOO with FOO unset in the caller) removes the image's FOO too
  assert.deepEqual(containerProcessEnv(mergeImageEnv(['FOO=img', 'BAR=1'], ['FOO']), 'h', false), [`PATH=${DEFAULT_PATH_ENV}`, 'HOSTNAME=h', 'BAR=1']);
  assert.deepEqual(containerProcessEnv(['PATH'], 'h', false), ['HOSTNAME=h']);
  assert.deepEqual(replaceOrAppendEnv(['A=1'], ['B=1', 'B=2']), ['A=1', 'B=1', 'B=2']);
});

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
  'bob:x:1001:1001::/home/bob:/bin/sh',
  '4242:x:5000:5000::/home/num:/bin/sh',
].join('\n');
const group = ['root:x:0:', 'tty:x:5:', 'wheel:x:10:alice', 'alice:x:1000:', 'staff:x:50:alice,bob', '# comment', 'nogroup:x:65534:'].join('\n');

test('user: docker\'s -u forms (expectations from `id` in docker 20.10 runs)', () => {
  const files = { passwd, group };
  const cases: Array<[string, string[], { uid: number; gid: number; additionalGids: number[] }]> = [
    ['', [], { uid: 0, gid: 0, additionalGids: [0] }],
    ['alice', [], { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50] }],
    ['1000', [], { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50] }],
    ['1000', ['staff', '77'], { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50, 50, 77] }], // moby appends without de-duplicating
    ['alice:staff', [], { uid: 1000, gid: 50, additionalGids: [50] }],
    ['1234:5678', [], { uid: 1234, gid: 5678, additionalGids: [5678] }],
    ['bob:0', [], { uid: 1001, gid: 0, additionalGids: [0] }],
    ['4242', [], { uid: 4242, gid: 0, additionalGids: [0] }],
    [':50', [], { uid: 0, gid: 50, additionalGids: [50] }],
  ];
  for (const [spec, add, want] of cases) {
    const got = resolveUser(spec, files, add);
    assert.deepEqual({ uid: got.uid, gid: got.gid, additionalGids: got.additionalGids }, want, `-u ${spec}`);
  }
  assert.equal(resolveUser('alice', files).home, '/home/alice');
  assert.equal(resolveUser('1234', {}).uid, 1234);
});

test('user: missing names fail with docker\'s words', () => {
  const files = { passwd, group };
  const fails: Array<[string, string[], string]> = [
    ['nope', [], 'unable to find user nope: no matching entries in passwd file'],
    ['alice:nogrp', [], 'unable to find group nogrp: no matching entries in group file'],
    ['alice', ['nogrp'], 'unable to find group nogrp: no matching entries in group file'],
    ['99999999999', [], 'uids and gids must be in range 0-2147483647'],
  ];
  for (const [spec, add, message] of fails) {
    assert.throws(() => resolveUser(spec, files, add), (err) => isStrataError(err, 'invalid-argument') && err.message === message, spec);
  }
  assert.throws(() => resolveUser('alice', {}), /unable to find user alice/);
});
