// docker's `--change` (import, commit): Dockerfile metadata instructions applied to an image's
// defaults by the build's own interpreter. The expected configs are what docker's daemon made
// of the same changes (`docker import -c …`, recorded by hand); the error texts are strata's,
// which other tests and users rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configChanges } from '../../../src/builder/config-changes.ts';
import type { ContainerDefaults } from '../../../src/oci/index.ts';

function applied(changes: string[], base: ContainerDefaults = {}): ContainerDefaults {
  return configChanges(changes)(base);
}

const SAME_AS_DOCKER: [string[], ContainerDefaults][] = [
  [['CMD echo hi'], { Cmd: ['/bin/sh', '-c', 'echo hi'] }],
  [['CMD ["a", "b"]'], { Cmd: ['a', 'b'] }],
  [['ENTRYPOINT ["b"]', 'CMD ["a"]'], { Entrypoint: ['b'], Cmd: ['a'] }],
  [['ENV A=1', 'ENV B=$A C=${A}x'], { Env: ['A=1', 'B=1', 'C=1x'] }],
  [['LABEL a=1 b=$a'], { Labels: { a: '1', b: '' } }],
  [['EXPOSE 80/UDP 90'], { ExposedPorts: { '80/udp': {}, '90/tcp': {} } }],
  [['USER $NOPE'], { User: '' }],
  [['WORKDIR rel'], { WorkingDir: '/rel' }],
  [['VOLUME /data'], { Volumes: { '/data': {} } }],
  [['ONBUILD RUN x'], { OnBuild: ['RUN x'] }],
  [['HEALTHCHECK --interval=5s CMD true'], { Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000 } }],
  [['HEALTHCHECK NONE'], { Healthcheck: { Test: ['NONE'] } }],
];

for (const [changes, expected] of SAME_AS_DOCKER) {
  test(`--change ${changes.map((c) => `'${c}'`).join(' ')}`, () => {
    assert.deepEqual(applied(changes), expected);
  });
}

test('ENTRYPOINT clears an inherited CMD, and ENV replaces a variable in place', () => {
  assert.deepEqual(applied(['ENTRYPOINT ["b"]', 'ENV PATH=/x'], { Cmd: ['sh'], Env: ['PATH=/bin', 'HOME=/root'] }), { Entrypoint: ['b'], Env: ['PATH=/x', 'HOME=/root'] });
});

test('shell-form CMD runs in /bin/sh -c whatever SHELL the image has (docker\'s commit starts from a config without one)', () => {
  assert.deepEqual(applied(['CMD echo hi'], { Shell: ['/bin/bash', '-c'] }), { Shell: ['/bin/bash', '-c'], Cmd: ['/bin/sh', '-c', 'echo hi'] });
});

test('the changes leave the defaults they are given alone', () => {
  const base: ContainerDefaults = { Labels: { keep: 'me' }, Env: ['A=1'] };
  applied(['LABEL x=y', 'ENV A=2'], base);
  assert.deepEqual(base, { Labels: { keep: 'me' }, Env: ['A=1'] });
});

// Where strata's --change used to part from docker's; the build already did as docker does.
const AS_DOCKER_NOW: [string, string[], ContainerDefaults][] = [
  ['ENV pairs expand in the environment from before the instruction', ['ENV A=1 B=$A'], { Env: ['A=1', 'B='] }],
  ['a CMD set by an earlier change survives ENTRYPOINT', ['CMD ["a"]', 'ENTRYPOINT ["b"]'], { Cmd: ['a'], Entrypoint: ['b'] }],
  ['EXPOSE takes port ranges apart', ['EXPOSE 8000-8002'], { ExposedPorts: { '8000/tcp': {}, '8001/tcp': {}, '8002/tcp': {} } }],
  ['EXPOSE takes ip:host:container', ['EXPOSE 1.2.3.4:80:80'], { ExposedPorts: { '80/tcp': {} } }],
  ['an absolute WORKDIR is kept as written', ['WORKDIR /a/../b/'], { WorkingDir: '/a/../b/' }],
  ['a relative WORKDIR is joined and cleaned', ['WORKDIR /a/', 'WORKDIR ./c/'], { WorkingDir: '/a/c' }],
];

for (const [what, changes, expected] of AS_DOCKER_NOW) {
  test(`as docker does: ${what}`, () => {
    assert.deepEqual(applied(changes), expected);
  });
}

const ERRORS: [string, RegExp | string][] = [
  ['FROM x', 'from is not a valid change command'],
  ['SHELL ["/bin/bash", "-c"]', 'shell is not a valid change command'],
  ['RUN x', 'run is not a valid change command'],
  ['ENV A', 'invalid --change "ENV A": ENV must have two arguments'],
  ['ENV A=${B:?oops}', 'failed to process "${B:?oops}": B: oops'],
  ['VOLUME ""', 'VOLUME specified can not be an empty string'],
  ['EXPOSE abc', 'invalid containerPort: abc'],
];

for (const [change, message] of ERRORS) {
  test(`--change '${change}' fails: ${String(message)}`, () => {
    assert.throws(() => applied([change]), { code: 'invalid-argument', message });
  });
}

test('as docker does: a port range that runs backwards and an unknown signal are errors', () => {
  assert.throws(() => applied(['EXPOSE 80-70']), { code: 'invalid-argument', message: 'invalid containerPort: 80-70' });
  assert.throws(() => applied(['STOPSIGNAL bogus']), { code: 'invalid-argument', message: 'invalid signal: bogus' });
  assert.deepEqual(applied(['STOPSIGNAL sigterm']), { StopSignal: 'sigterm' });
});
