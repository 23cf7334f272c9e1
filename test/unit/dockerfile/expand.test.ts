// Where expansion applies, with which environment, and how ARGs are scoped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instruction } from '../../../src/builder/dockerfile/index.ts';
import {
  automaticArgs, expandInstruction, isDockerfileError, parseDockerfile, proxyEnv, resolveGlobalScope, resolveRunMounts,
  resolveStageArg, resolveStageBase,
} from '../../../src/builder/dockerfile/index.ts';

const env = new Map([['V', 'val'], ['DIR', '/opt/app'], ['U', '1000'], ['SPACE', 'a b'], ['EMPTY', '']]);

function first(body: string, escape = ''): Instruction {
  const df = parseDockerfile(`${escape}FROM x\n${body}\n`);
  const inst = df.stages[0]?.instructions[0];
  assert.ok(inst !== undefined);
  return inst;
}

function expand(body: string): Instruction {
  return expandInstruction(first(body), env).instruction;
}

test('expanded: ENV and LABEL keys and values, quotes removed', () => {
  const e = expand('ENV A=$V B="${DIR}/x y" ${V}_KEY=1 C=\'$V\'');
  assert.deepEqual(e.kind === 'ENV' && e.pairs.map((p) => [p.key, p.value]), [['A', 'val'], ['B', '/opt/app/x y'], ['val_KEY', '1'], ['C', '$V']]);
  const l = expand('LABEL version=$V "a b"="c $V"');
  assert.deepEqual(l.kind === 'LABEL' && l.pairs.map((p) => [p.key, p.value]), [['version', 'val'], ['a b', 'c val']]);
});

test('ENV pairs on one line all see the environment from before the line', () => {
  const e = expand('ENV V=new W=$V');
  assert.deepEqual(e.kind === 'ENV' && e.pairs.map((p) => p.value), ['new', 'val']);
});

test('expanded: COPY and ADD sources, destination, --chown, --chmod, ADD --checksum', () => {
  const c = expand('COPY --chown=$U:$U --chmod=${MODE:-755} --from=build ${DIR}/a "$V" $DIR/');
  assert.deepEqual(c.kind === 'COPY' && [c.chown, c.chmod, c.from, c.sources, c.dest], ['1000:1000', '755', 'build', ['/opt/app/a', 'val'], '/opt/app/']);
  // Shell-form sources are split on whitespace first, so a quoted name with a space breaks, as in BuildKit.
  assert.throws(() => expand('COPY "b c" /x/'), { message: 'Dockerfile:2: failed to process "\\"b": unexpected end of statement while looking for matching double-quote' });
  const json = expand('COPY ["$V b", "/x/"]');
  assert.deepEqual(json.kind === 'COPY' && json.sources, ['val b']);
  const a = expand('ADD --checksum=sha256:$V https://e.com/$V.tgz /$V/');
  assert.deepEqual(a.kind === 'ADD' && [a.checksum, a.sources, a.dest], ['sha256:val', ['https://e.com/val.tgz'], '/val/']);
});

test('COPY --exclude patterns are not expanded', () => {
  const c = expand('COPY --exclude=$V . /x');
  assert.deepEqual(c.kind === 'COPY' && c.excludes, ['$V']);
});

test('COPY heredoc bodies expand unless the delimiter was quoted; quotes inside stay', () => {
  const df = parseDockerfile("FROM x\nCOPY <<A <<'B' /d/\nhello \"$V\" '${DIR}'\nA\nhello $V\nB\n");
  const c = df.stages[0]?.instructions[0];
  assert.ok(c !== undefined);
  const e = expandInstruction(c, env).instruction;
  assert.deepEqual(e.kind === 'COPY' && e.inline.map((i) => i.content), ['hello "val" \'/opt/app\'\n', 'hello $V\n']);
});

test('expanded: EXPOSE with word splitting, VOLUME, WORKDIR, USER, STOPSIGNAL', () => {
  const ex = expandInstruction(first('EXPOSE $PORTS 8080'), new Map([['PORTS', '80 443/udp']])).instruction;
  assert.deepEqual(ex.kind === 'EXPOSE' && ex.ports, ['80', '443/udp', '8080']);
  // Not JSON (two words), so each word is expanded and its quotes removed.
  assert.deepEqual((expand('VOLUME $DIR/data ["x"]') as { volumes: string[] }).volumes, ['/opt/app/data', '[x]']);
  assert.deepEqual((expand('VOLUME ["$DIR/a", "${V}"]') as { volumes: string[] }).volumes, ['/opt/app/a', 'val']);
  assert.equal((expand('WORKDIR $DIR/$V') as { path: string }).path, '/opt/app/val');
  assert.equal((expand('USER ${U}:${G:-$U}') as { user: string }).user, '1000:1000');
  assert.equal((expand('STOPSIGNAL SIG${SIG:-TERM}') as { signal: string }).signal, 'SIGTERM');
});

test('never expanded: RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER', () => {
  for (const body of ['RUN echo $V', 'RUN ["echo", "$V"]', 'CMD echo $V', 'CMD ["$V"]', 'ENTRYPOINT ["$V"]', 'HEALTHCHECK CMD echo $V', 'SHELL ["$V"]', 'ONBUILD RUN echo $V', 'MAINTAINER $V']) {
    const inst = first(body);
    const r = expandInstruction(inst, env);
    assert.deepEqual(r.instruction, inst, body);
    assert.deepEqual(r.used, [], body);
  }
});

test('RUN --mount options are expanded and validated in the stage env', () => {
  const run = first('RUN --mount=type=$T,target=${DIR}/cache,id=$V,uid=$U make');
  const mounts = resolveRunMounts(run as Extract<Instruction, { kind: 'RUN' }>, new Map([...env, ['T', 'cache']]));
  assert.deepEqual(mounts.map((m) => [m.type, m.target, m.id, m.uid]), [['cache', '/opt/app/cache', 'val', 1000]]);
  assert.throws(() => resolveRunMounts(run as Extract<Instruction, { kind: 'RUN' }>, new Map([...env, ['T', 'nope']])), (err: unknown) => {
    assert.ok(isDockerfileError(err));
    assert.equal(err.message, 'Dockerfile:2: unsupported mount type "nope"');
    return true;
  });
});

test('expansion reports the variables used and unset, for the cache and for UndefinedVar', () => {
  const r = expandInstruction(first('COPY $V ${MISSING:-x} $DIR/'), env);
  assert.deepEqual([r.used, r.unset], [['V', 'DIR'], ['MISSING']]);
});

test('expansion errors are DockerfileErrors at the instruction', () => {
  assert.throws(() => expandInstruction(first('WORKDIR ${REQUIRED:?set REQUIRED}'), env), (err: unknown) => {
    assert.ok(isDockerfileError(err));
    assert.equal(err.message, 'Dockerfile:2: failed to process "${REQUIRED:?set REQUIRED}": REQUIRED: set REQUIRED');
    return true;
  });
});

test('the escape directive applies to expansion', () => {
  const w = first('WORKDIR C:\\$V\\`$V', '# escape=`\n');
  const df = parseDockerfile('# escape=`\nFROM x\nWORKDIR C:\\$V\\`$V\n');
  assert.equal((expandInstruction(w, env, { escapeToken: df.escapeToken }).instruction as { path: string }).path, 'C:\\val\\$V');
});

// ---- ARG scopes ----

const linux = { os: 'linux', architecture: 'amd64' };
const arm = { os: 'linux', architecture: 'arm64', variant: 'v8' };

test('automatic platform args, overridable by --build-arg', () => {
  const a = automaticArgs({ buildPlatform: linux, targetPlatform: arm, targetStage: 'release' });
  assert.deepEqual(Object.fromEntries(a), {
    BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDOSVERSION: '', BUILDARCH: 'amd64', BUILDVARIANT: '',
    TARGETPLATFORM: 'linux/arm64/v8', TARGETOS: 'linux', TARGETOSVERSION: '', TARGETARCH: 'arm64', TARGETVARIANT: 'v8',
    TARGETSTAGE: 'release',
  });
  const o = automaticArgs({ buildPlatform: linux, targetPlatform: linux, buildArgs: new Map([['TARGETARCH', 'riscv64']]) });
  assert.equal(o.get('TARGETARCH'), 'riscv64');
  assert.equal(o.get('TARGETSTAGE'), 'default');
});

test('meta ARGs: defaults expand in the global scope; --build-arg wins; usable in FROM', () => {
  const df = parseDockerfile('ARG REG=docker.io\nARG IMG=${REG}/library/alpine\nARG TAG\nARG UNSET\nFROM ${IMG}:${TAG:-latest} AS base\nFROM --platform=$TARGETPLATFORM base\n');
  const auto = automaticArgs({ buildPlatform: linux, targetPlatform: linux });
  const g = resolveGlobalScope(df.metaArgs, auto, new Map([['TAG', '3.20']]));
  assert.equal(g.args.get('IMG'), 'docker.io/library/alpine');
  assert.equal(g.args.get('TAG'), '3.20');
  assert.equal(g.args.has('UNSET'), false);
  assert.deepEqual(g.dependencies.get('IMG'), ['REG']);
  const [s0, s1] = df.stages;
  assert.ok(s0 !== undefined && s1 !== undefined);
  assert.deepEqual(resolveStageBase(s0, g.args), { baseName: 'docker.io/library/alpine:3.20', platform: undefined, used: ['IMG', 'TAG'] });
  assert.deepEqual(resolveStageBase(s1, g.args), { baseName: 'base', platform: 'linux/amd64', used: ['TARGETPLATFORM'] });
  const g2 = resolveGlobalScope(df.metaArgs, auto, new Map([['REG', 'localhost:5000']]));
  assert.equal(resolveStageBase(s0, g2.args).baseName, 'localhost:5000/library/alpine:latest');
});

test('FROM errors: a blank base name, an empty platform', () => {
  const df = parseDockerfile('ARG B\nFROM ${B}\nFROM --platform=$P x\n');
  const [s0, s1] = df.stages;
  assert.ok(s0 !== undefined && s1 !== undefined);
  assert.throws(() => resolveStageBase(s0, new Map()), { message: 'Dockerfile:2: base name (${B}) should not be blank' });
  assert.throws(() => resolveStageBase(s1, new Map()), { message: 'Dockerfile:3: empty platform value from expression $P' });
});

test('stage ARGs: build-arg, then default (in the stage env), then the global value, else no value', () => {
  const df = parseDockerfile('FROM x\nARG A=1 B=$A C D=${A}${E} TARGETARCH\n');
  const inst = df.stages[0]?.instructions[0];
  assert.ok(inst?.kind === 'ARG');
  const resolved = resolveStageArg(inst, {
    env: new Map([['E', 'e']]),
    buildArgs: new Map([['C', 'from-cli']]),
    globalArgs: new Map([['TARGETARCH', 'amd64'], ['A', 'global-ignored']]),
  });
  assert.deepEqual(resolved.map((r) => [r.key, r.value, r.source, r.setsEnv]), [
    ['A', '1', 'default', true],
    ['B', '1', 'default', true],
    ['C', 'from-cli', 'build-arg', true],
    ['D', '1e', 'default', true],
    ['TARGETARCH', 'amd64', 'global', true],
  ]);
  const none = resolveStageArg(parseDockerfile('FROM x\nARG NOPE\n').stages[0]?.instructions[0] as Extract<Instruction, { kind: 'ARG' }>, {
    env: new Map(), buildArgs: new Map(), globalArgs: new Map(),
  });
  assert.deepEqual(none, [{ key: 'NOPE', value: undefined, source: 'none', setsEnv: false, used: [] }]);
});

test('an empty --build-arg still overrides a default', () => {
  const inst = parseDockerfile('FROM x\nARG A=default\n').stages[0]?.instructions[0] as Extract<Instruction, { kind: 'ARG' }>;
  const [r] = resolveStageArg(inst, { env: new Map(), buildArgs: new Map([['A', '']]), globalArgs: new Map() });
  assert.deepEqual([r?.value, r?.source], ['', 'build-arg']);
});

test('SBOM switches never enter the environment', () => {
  const inst = parseDockerfile('FROM x\nARG BUILDKIT_SBOM_SCAN_STAGE=true\n').stages[0]?.instructions[0] as Extract<Instruction, { kind: 'ARG' }>;
  assert.equal(resolveStageArg(inst, { env: new Map(), buildArgs: new Map(), globalArgs: new Map() })[0]?.setsEnv, false);
});

test('proxy build args reach RUN in both cases without an ARG; lower case wins over upper', () => {
  assert.deepEqual(proxyEnv(new Map([['HTTP_PROXY', 'http://upper'], ['http_proxy', 'http://lower'], ['NO_PROXY', 'localhost'], ['OTHER', 'x']])), [
    'HTTP_PROXY=http://lower', 'http_proxy=http://lower', 'NO_PROXY=localhost', 'no_proxy=localhost',
  ]);
  assert.deepEqual(proxyEnv(new Map([['ALL_PROXY', '']])), []);
});
