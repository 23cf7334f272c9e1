// Every instruction and flag form, and every parse error with BuildKit's words and the position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instruction , DockerfileError} from '../../../src/builder/dockerfile/index.ts';
import { isDockerfileError, parseDockerfile } from '../../../src/builder/dockerfile/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

/** Parses `FROM x` followed by `body`; returns the instructions of that stage. */
function parseBody(body: string): Instruction[] {
  return parseDockerfile(`FROM x\n${body}\n`).stages[0]?.instructions ?? [];
}

function one(body: string): Instruction {
  const inst = parseBody(body)[0];
  assert.ok(inst !== undefined, 'no instruction');
  return inst;
}

/** Asserts `text` fails with exactly `Dockerfile:<line>: <detail>`. */
function fails(text: string, line: number | undefined, detail: string): DockerfileError {
  let caught: unknown;
  try {
    parseDockerfile(text);
  } catch (err) {
    caught = err;
  }
  assert.ok(isDockerfileError(caught), `expected a DockerfileError for ${JSON.stringify(text)}, got ${String(caught)}`);
  assert.ok(isStrataError(caught, 'invalid-argument'));
  assert.equal(caught.detail, detail);
  assert.equal(caught.location.line, line);
  assert.equal(caught.message, line === undefined ? `Dockerfile: ${detail}` : `Dockerfile:${line}: ${detail}`);
  return caught;
}

// ---- success: each instruction and flag form ----

const ok: [string, (i: Instruction) => void][] = [
  ['RUN make all', (i) => assert.deepEqual(i.kind === 'RUN' && [i.form, i.command, i.network, i.security], ['shell', ['make all'], 'default', 'sandbox'])],
  ['RUN ["make", "all"]', (i) => assert.deepEqual(i.kind === 'RUN' && [i.form, i.command], ['exec', ['make', 'all']])],
  ['RUN', (i) => assert.deepEqual(i.kind === 'RUN' && i.command, [])],
  ['RUN --network=none curl x', (i) => assert.equal(i.kind === 'RUN' && i.network, 'none')],
  ['RUN --network=host curl x', (i) => assert.equal(i.kind === 'RUN' && i.network, 'host')],
  ['RUN --network=default curl x', (i) => assert.equal(i.kind === 'RUN' && i.network, 'default')],
  ['RUN --security=insecure x', (i) => assert.equal(i.kind === 'RUN' && i.security, 'insecure')],
  ['RUN --security=sandbox x', (i) => assert.equal(i.kind === 'RUN' && i.security, 'sandbox')],
  ['RUN --device=vendor.com/gpu=all,required x', (i) => assert.deepEqual(i.kind === 'RUN' && i.devices, [{ name: 'vendor.com/gpu=all', required: true }])],
  ['RUN --mount=type=cache,target=/root/.cache,id=pip,sharing=locked,uid=1000,gid=1000,mode=0755 x', (i) => {
    assert.ok(i.kind === 'RUN');
    assert.deepEqual(i.flagsUsed, ['mount']);
    assert.deepEqual(i.mounts[0]?.parsed, {
      type: 'cache', from: '', source: '', target: '/root/.cache', readOnly: false, sizeLimit: 0, id: 'pip',
      sharing: 'locked', required: false, env: undefined, mode: 0o755, uid: 1000, gid: 1000,
    });
  }],
  ['RUN --mount=target=/src x', (i) => assert.deepEqual(i.kind === 'RUN' && [i.mounts[0]?.parsed?.type, i.mounts[0]?.parsed?.readOnly], ['bind', true])],
  ['RUN --mount=type=bind,from=build,source=/out,target=/in,rw x', (i) => assert.deepEqual(i.kind === 'RUN' && [i.mounts[0]?.parsed?.from, i.mounts[0]?.parsed?.source, i.mounts[0]?.parsed?.readOnly], ['build', '/out', false])],
  ['RUN --mount=type=bind,src=a,dst=/b,readwrite=true x', (i) => assert.deepEqual(i.kind === 'RUN' && [i.mounts[0]?.parsed?.source, i.mounts[0]?.parsed?.target, i.mounts[0]?.parsed?.readOnly], ['a', '/b', false])],
  ['RUN --mount=type=cache,target=/c,ro x', (i) => assert.equal(i.kind === 'RUN' && i.mounts[0]?.parsed?.readOnly, true)],
  ['RUN --mount=type=tmpfs,target=/t,size=1g x', (i) => assert.equal(i.kind === 'RUN' && i.mounts[0]?.parsed?.sizeLimit, 1024 ** 3)],
  ['RUN --mount=type=secret,id=tok,env=TOKEN,required x', (i) => assert.deepEqual(i.kind === 'RUN' && [i.mounts[0]?.parsed?.id, i.mounts[0]?.parsed?.env, i.mounts[0]?.parsed?.required, i.mounts[0]?.parsed?.readOnly], ['tok', 'TOKEN', true, true])],
  ['RUN --mount=type=ssh,id=default,required=false x', (i) => assert.deepEqual(i.kind === 'RUN' && [i.mounts[0]?.parsed?.type, i.mounts[0]?.parsed?.required], ['ssh', false])],
  ['RUN --mount=TYPE=CACHE,Target=/x x', (i) => assert.equal(i.kind === 'RUN' && i.mounts[0]?.parsed?.type, 'cache')],
  ['RUN --mount="type=cache,target=/with space" x', (i) => assert.equal(i.kind === 'RUN' && i.mounts[0]?.parsed?.target, '/with space')],
  ['RUN --mount=type=cache,target=$DIR x', (i) => assert.deepEqual(i.kind === 'RUN' && i.mounts[0], { spec: 'type=cache,target=$DIR', parsed: undefined })],
  ['RUN --mount=type=cache,target=/a --mount=type=cache,target=/b x', (i) => assert.equal(i.kind === 'RUN' && i.mounts.length, 2)],
  ['CMD echo hi', (i) => assert.deepEqual(i.kind === 'CMD' && [i.form, i.command], ['shell', ['echo hi']])],
  ['CMD ["echo","hello world"]', (i) => assert.deepEqual(i.kind === 'CMD' && i.command, ['echo', 'hello world'])],
  ['CMD ["echo", \'b\']', (i) => assert.deepEqual(i.kind === 'CMD' && [i.form, i.command], ['shell', ['["echo", \'b\']']])],
  ['CMD ["a\\tb", "c\\\\d", "\\u00e9"]', (i) => assert.deepEqual(i.kind === 'CMD' && i.command, ['a\tb', 'c\\d', 'é'])],
  ['ENTRYPOINT ["/entry.sh"]', (i) => assert.deepEqual(i.kind === 'ENTRYPOINT' && [i.form, i.command], ['exec', ['/entry.sh']])],
  ['ENTRYPOINT exec nginx -g "daemon off;"', (i) => assert.deepEqual(i.kind === 'ENTRYPOINT' && i.command, ['exec nginx -g "daemon off;"'])],
  ['SHELL ["/bin/bash", "-c"]', (i) => assert.deepEqual(i.kind === 'SHELL' && i.shell, ['/bin/bash', '-c'])],
  ['ENV A=1', (i) => assert.deepEqual(i.kind === 'ENV' && i.pairs, [{ key: 'A', value: '1', legacy: false }])],
  ['ENV A=1 B="two words" C=three\\ words', (i) => assert.deepEqual(i.kind === 'ENV' && i.pairs.map((p) => [p.key, p.value]), [['A', '1'], ['B', '"two words"'], ['C', 'three\\ words']])],
  ['ENV A the rest  of it', (i) => assert.deepEqual(i.kind === 'ENV' && i.pairs, [{ key: 'A', value: 'the rest  of it', legacy: true }])],
  ['ENV A=', (i) => assert.deepEqual(i.kind === 'ENV' && i.pairs, [{ key: 'A', value: '', legacy: false }])],
  ['LABEL a=b "c d"="e f"', (i) => assert.deepEqual(i.kind === 'LABEL' && i.pairs.map((p) => [p.key, p.value]), [['a', 'b'], ['"c d"', '"e f"']])],
  ['LABEL maintainer someone@example.com', (i) => assert.deepEqual(i.kind === 'LABEL' && i.pairs, [{ key: 'maintainer', value: 'someone@example.com', legacy: true }])],
  ['EXPOSE 8080 80/udp 443', (i) => assert.deepEqual(i.kind === 'EXPOSE' && i.ports, ['443', '80/udp', '8080'])],
  ['ARG A', (i) => assert.deepEqual(i.kind === 'ARG' && i.args.map((a) => [a.key, a.value]), [['A', undefined]])],
  ['ARG A=1 B C="x y"', (i) => assert.deepEqual(i.kind === 'ARG' && i.args.map((a) => [a.key, a.value]), [['A', '1'], ['B', undefined], ['C', '"x y"']])],
  ['ARG A=', (i) => assert.deepEqual(i.kind === 'ARG' && i.args.map((a) => [a.key, a.value]), [['A', '']])],
  ['ARG --ignored-flag A', (i) => assert.deepEqual(i.kind === 'ARG' && i.args.map((a) => a.key), ['A'])],
  ['ADD a b /dst/', (i) => assert.deepEqual(i.kind === 'ADD' && [i.sources, i.dest], [['a', 'b'], '/dst/'])],
  ['ADD --chown=1:2 --chmod=0644 --link --keep-git-dir=false --unpack=true --exclude=*.tmp --checksum=sha256:abc https://x/y.tgz /z', (i) => {
    assert.ok(i.kind === 'ADD');
    assert.deepEqual([i.chown, i.chmod, i.link, i.keepGitDir, i.unpack, i.excludes, i.checksum], ['1:2', '0644', true, false, true, ['*.tmp'], 'sha256:abc']);
  }],
  ['ADD --keep-git-dir https://github.com/a/b.git /b', (i) => assert.equal(i.kind === 'ADD' && i.keepGitDir, true)],
  ['ADD ["a b", "/c d/"]', (i) => assert.deepEqual(i.kind === 'ADD' && [i.sources, i.dest, i.json], [['a b'], '/c d/', true])],
  ['COPY --from=build --chown=app --chmod=u+rwx,go=rx --link --parents --exclude=a --exclude=b src/ /dst/', (i) => {
    assert.ok(i.kind === 'COPY');
    assert.deepEqual([i.from, i.chown, i.chmod, i.link, i.parents, i.excludes], ['build', 'app', 'u+rwx,go=rx', true, true, ['a', 'b']]);
  }],
  ['COPY --from=0 /a /b', (i) => assert.equal(i.kind === 'COPY' && i.from, '0')],
  ['COPY --from=alpine:3.20 /etc/os-release /', (i) => assert.equal(i.kind === 'COPY' && i.from, 'alpine:3.20')],
  ['COPY --link=false a b', (i) => assert.equal(i.kind === 'COPY' && i.link, false)],
  ['COPY --chown= a b', (i) => assert.equal(i.kind === 'COPY' && i.chown, undefined)],
  ['COPY ["a", "b c"]', (i) => assert.deepEqual(i.kind === 'COPY' && [i.sources, i.dest], [['a'], 'b c'])],
  ['COPY -- --dash /x', (i) => assert.deepEqual(i.kind === 'COPY' && i.sources, ['--dash'])],
  ['VOLUME /a /b', (i) => assert.deepEqual(i.kind === 'VOLUME' && i.volumes, ['/a', '/b'])],
  ['VOLUME ["/a", " /b "]', (i) => assert.deepEqual(i.kind === 'VOLUME' && i.volumes, ['/a', '/b'])],
  ['USER 65534:65534', (i) => assert.equal(i.kind === 'USER' && i.user, '65534:65534')],
  ['USER app group', (i) => assert.equal(i.kind === 'USER' && i.user, 'app group')],
  ['WORKDIR /a dir with spaces', (i) => assert.equal(i.kind === 'WORKDIR' && i.path, '/a dir with spaces')],
  ['WORKDIR /web-ping', (i) => assert.equal(i.kind === 'WORKDIR' && i.path, '/web-ping')],
  ['WORKDIR C:\\\\Program Files', (i) => assert.equal(i.kind === 'WORKDIR' && i.path, 'C:\\\\Program Files')],
  ['ONBUILD RUN echo hi', (i) => assert.deepEqual(i.kind === 'ONBUILD' && [i.expression, i.triggerKeyword, i.trigger?.kind], ['RUN echo hi', 'RUN', 'RUN'])],
  ['onbuild  copy . /app', (i) => assert.deepEqual(i.kind === 'ONBUILD' && [i.expression, i.triggerKeyword], ['copy . /app', 'COPY'])],
  ['ONBUILD FROBNICATE x', (i) => assert.deepEqual(i.kind === 'ONBUILD' && [i.trigger, i.triggerError], [undefined, 'unknown instruction: FROBNICATE'])],
  ['STOPSIGNAL SIGTERM', (i) => assert.equal(i.kind === 'STOPSIGNAL' && i.signal, 'SIGTERM')],
  ['STOPSIGNAL --flag-is-ignored 9', (i) => assert.equal(i.kind === 'STOPSIGNAL' && i.signal, '9')],
  ['HEALTHCHECK NONE', (i) => assert.deepEqual(i.kind === 'HEALTHCHECK' && i.test, ['NONE'])],
  ['HEALTHCHECK --interval=1s NONE', (i) => assert.deepEqual(i.kind === 'HEALTHCHECK' && [i.test, i.intervalNs], [['NONE'], 0])],
  ['HEALTHCHECK CMD curl -f http://localhost/', (i) => assert.deepEqual(i.kind === 'HEALTHCHECK' && i.test, ['CMD-SHELL', 'curl -f http://localhost/'])],
  ['HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]', (i) => assert.deepEqual(i.kind === 'HEALTHCHECK' && i.test, ['CMD', 'curl', '-f', 'http://localhost/'])],
  ['HEALTHCHECK --interval=1m30s --timeout=2.5s --start-period=0 --start-interval=1ms --retries=+4 cmd true', (i) => {
    assert.ok(i.kind === 'HEALTHCHECK');
    assert.deepEqual([i.intervalNs, i.timeoutNs, i.startPeriodNs, i.startIntervalNs, i.retries], [90e9, 2.5e9, 0, 1e6, 4]);
  }],
  ['MAINTAINER Jane <jane@example.com>', (i) => assert.equal(i.kind === 'MAINTAINER' && i.maintainer, 'Jane <jane@example.com>')],
];

for (const [body, check] of ok) {
  test(`parses ${body}`, () => check(one(body)));
}

test('every instruction keeps its keyword, original text, location and comments', () => {
  const df = parseDockerfile('FROM x\n# why we build it\n  run --network=none \\\n    make  \\\n    all\n');
  const inst = df.stages[0]?.instructions[0];
  assert.ok(inst !== undefined);
  assert.equal(inst.keyword, 'run');
  assert.equal(inst.original, 'run --network=none     make      all');
  assert.deepEqual(inst.location, { file: 'Dockerfile', line: 3, column: 3, endLine: 5 });
  assert.deepEqual(inst.comments, ['why we build it']);
});

test('FROM: base, platform, lower-cased stage name, doc comment, index', () => {
  const df = parseDockerfile('# builder compiles things\nFROM --platform=$BUILDPLATFORM golang:1.22 AS Builder\nFROM builder\nFROM scratch as final\n');
  const [a, b, c] = df.stages;
  assert.deepEqual([a?.index, a?.name, a?.baseName, a?.platform, a?.docComment], [0, 'builder', 'golang:1.22', '$BUILDPLATFORM', 'compiles things']);
  assert.deepEqual([b?.index, b?.name, b?.baseName, b?.platform], [1, undefined, 'builder', undefined]);
  assert.deepEqual([c?.index, c?.name], [2, 'final']);
  assert.deepEqual(df.warnings.map((w) => w.rule).sort(), ['FromAsCasing', 'StageNameCasing']);
});

test('meta ARGs before the first FROM are kept apart', () => {
  const df = parseDockerfile('ARG BASE=alpine\nARG TAG\nFROM ${BASE}:${TAG}\nARG TAG\n');
  assert.deepEqual(df.metaArgs.map((a) => a.args.map((d) => d.key)), [['BASE'], ['TAG']]);
  assert.equal(df.stages[0]?.instructions[0]?.kind, 'ARG');
});

test('ONBUILD with a heredoc stores the body in its expression', () => {
  const i = one('ONBUILD RUN <<EOF\necho one\nEOF');
  assert.deepEqual(i.kind === 'ONBUILD' && [i.expression, i.trigger?.kind], ['RUN <<EOF\necho one\nEOF', 'RUN']);
  assert.deepEqual(i.kind === 'ONBUILD' && i.trigger?.location.line, 2);
});

// ---- errors ----

const errors: [string, number | undefined, string][] = [
  ['', undefined, 'the Dockerfile cannot be empty'],
  ['# only a comment\n\n', undefined, 'file with no instructions'],
  ['ARG A=1\n', undefined, 'dockerfile contains no stages to build'],
  ['RUN echo hi\nFROM x\n', 1, 'no build stage in current context'],
  ['FROM x\nFROBNICATE now\n', 2, 'unknown instruction: FROBNICATE'],
  ['FROM x\nCOPPY a b\n', 2, 'unknown instruction: COPPY (did you mean COPY?)'],
  ['FROM x\nworkdri /x\n', 2, 'unknown instruction: workdri (did you mean workdir?)'],
  ['FROM x\nCOPY --frm=x a b\n', 2, 'unknown flag: --frm (did you mean from?)'],
  ['FROM x\nCOPY --bogus a b\n', 2, 'unknown flag: --bogus'],
  ['FROM x\nCMD --x true\n', 2, 'unknown flag: --x'],
  ['FROM x\nCOPY --from=a --from=b a b\n', 2, 'duplicate flag specified: --from'],
  ['FROM x\nCOPY --from a b\n', 2, 'missing a value on flag: --from'],
  ['FROM x\nCOPY --link= a b\n', 2, 'missing a value on flag: --link'],
  ['FROM x\nCOPY --link=maybe a b\n', 2, 'expecting boolean value for flag --link, not: maybe'],
  ['FROM x\nCOPY --exclude a b\n', 2, 'missing a value on flag: --exclude'],
  ['FROM x\nENV\n', 2, 'ENV requires at least one argument'],
  ['FROM x\nENV =x\n', 2, 'ENV names can not be blank'],
  ['FROM x\nENV a=1 b\n', 2, 'Syntax error - can\'t find = in "b". Must be of the form: name=value'],
  ['FROM x\nENV a\n', 2, 'ENV must have two arguments'],
  ['FROM x\nLABEL\n', 2, 'LABEL requires at least one argument'],
  ['FROM x\nLABEL a\n', 2, 'LABEL must have two arguments'],
  ['FROM x\nMAINTAINER\n', 2, 'MAINTAINER requires exactly one argument'],
  ['FROM x\nMAINTAINER --boo joe\n', 2, 'unknown flag: --boo'],
  ['FROM x\nADD a\n', 2, 'ADD requires at least two arguments, but only one was provided. Destination could not be determined'],
  ['FROM x\nCOPY\n', 2, 'COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
  ['FROM x\nCOPY a <<EOF\nbody\nEOF\n', 2, 'COPY cannot accept a heredoc as a destination'],
  ['FROM x\nCOPY --from=$STAGE a b\n', 2, 'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround'],
  ['FROM a b\n', 1, 'FROM requires either one or three arguments'],
  ['FROM\n', 1, 'FROM requires either one or three arguments'],
  ['FROM a AS 1abc\n', 1, 'invalid name for build stage: "1abc", name can\'t start with a number or contain symbols'],
  ['FROM a AS b@c\n', 1, 'invalid name for build stage: "b@c", name can\'t start with a number or contain symbols'],
  ['FROM a XX b\n', 1, 'FROM requires either one or three arguments'],
  ['FROM --platfrom=x a\n', 1, 'unknown flag: --platfrom (did you mean platform?)'],
  ['FROM --plat=x a\n', 1, 'unknown flag: --plat'],
  ['FROM x\nONBUILD\n', 2, 'ONBUILD requires at least one argument'],
  ['FROM x\nONBUILD ONBUILD RUN x\n', 2, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
  ['FROM x\nONBUILD FROM y\n', 2, 'FROM isn\'t allowed as an ONBUILD trigger'],
  ['FROM x\nonbuild maintainer y\n', 2, 'MAINTAINER isn\'t allowed as an ONBUILD trigger'],
  ['FROM x\nWORKDIR\n', 2, 'WORKDIR requires exactly one argument'],
  ['FROM x\nUSER\n', 2, 'USER requires exactly one argument'],
  ['FROM x\nSTOPSIGNAL\n', 2, 'STOPSIGNAL requires exactly one argument'],
  ['FROM x\nEXPOSE\n', 2, 'EXPOSE requires at least one argument'],
  ['FROM x\nVOLUME\n', 2, 'VOLUME requires at least one argument'],
  ['FROM x\nVOLUME ["", "/a"]\n', 2, 'VOLUME specified can not be an empty string'],
  ['FROM x\nARG\n', 2, 'ARG requires at least one argument'],
  ['FROM x\nARG =x\n', 2, 'ARG names can not be blank'],
  ['FROM x\nSHELL []\n', 2, 'SHELL requires at least one argument'],
  ['FROM x\nSHELL bash -c\n', 2, 'SHELL requires the arguments to be in JSON form'],
  ['FROM x\nHEALTHCHECK\n', 2, 'HEALTHCHECK requires at least one argument'],
  ['FROM x\nHEALTHCHECK NONE x\n', 2, 'HEALTHCHECK NONE takes no arguments'],
  ['FROM x\nHEALTHCHECK FOO x\n', 2, 'Unknown type "FOO" in HEALTHCHECK (try CMD)'],
  ['FROM x\nHEALTHCHECK CMD\n', 2, 'Missing command after HEALTHCHECK CMD'],
  ['FROM x\nHEALTHCHECK --interval=500us CMD x\n', 2, 'Interval "interval" cannot be less than 1ms'],
  ['FROM x\nHEALTHCHECK --start-period=-1s CMD x\n', 2, 'Interval "start-period" cannot be less than 1ms'],
  ['FROM x\nHEALTHCHECK --timeout=abc CMD x\n', 2, 'time: invalid duration "abc"'],
  ['FROM x\nHEALTHCHECK --timeout=5 CMD x\n', 2, 'time: missing unit in duration "5"'],
  ['FROM x\nHEALTHCHECK --timeout=5y CMD x\n', 2, 'time: unknown unit "y" in duration "5y"'],
  ['FROM x\nHEALTHCHECK --retries=-1 CMD x\n', 2, '--retries cannot be negative (-1)'],
  ['FROM x\nHEALTHCHECK --retries=x CMD x\n', 2, 'strconv.ParseInt: parsing "x": invalid syntax'],
  ['FROM x\nHEALTHCHECK --retries=9999999999 CMD x\n', 2, 'strconv.ParseInt: parsing "9999999999": value out of range'],
  ['FROM x\nRUN ["a", 1]\n', 2, 'when using JSON array syntax, arrays must be comprised of strings only'],
  ['FROM x\nRUN --network=bogus x\n', 2, 'invalid network mode "bogus"'],
  ['FROM x\nRUN --security=x y\n', 2, 'security "x" is not valid'],
  ['FROM x\nRUN --mount=type=tmpf,target=/t x\n', 2, 'unsupported mount type "tmpf" (did you mean tmpfs?)'],
  ['FROM x\nRUN --mount=type=foo x\n', 2, 'unsupported mount type "foo"'],
  ['FROM x\nRUN --mount=typ=cache x\n', 2, "unexpected key 'typ' in 'typ=cache' (did you mean type?)"],
  ['FROM x\nRUN --mount=type=cache,target x\n', 2, "invalid field 'target' must be a key=value pair"],
  ['FROM x\nRUN --mount=type=bind,mode=0700,target=/x x\n', 2, 'mode not allowed for "bind" type mounts'],
  ['FROM x\nRUN --mount=type=tmpfs,uid=1,target=/x x\n', 2, 'uid not allowed for "tmpfs" type mounts'],
  ['FROM x\nRUN --mount=type=cache,uid=x,target=/x x\n', 2, 'invalid value x for uid'],
  ['FROM x\nRUN --mount=type=cache,mode=999,target=/x x\n', 2, 'invalid value 999 for mode'],
  ['FROM x\nRUN --mount=type=cache,ro=maybe,target=/x x\n', 2, 'invalid value for ro: maybe'],
  ['FROM x\nRUN --mount=type=tmpfs,size=big,target=/x x\n', 2, 'invalid value for size: big'],
  ['FROM x\nRUN --mount=type=cache,size=1m,target=/x x\n', 2, "unexpected key 'size' for mount type 'cache'"],
  ['FROM x\nRUN --mount=type=cache,required,target=/x x\n', 2, "unexpected key 'required' for mount type 'cache'"],
  ['FROM x\nRUN --mount=type=secret,from=a,id=b x\n', 2, 'secret mount should not have a from'],
  ['FROM x\nRUN --mount=type=secret x\n', 2, 'invalid secret mount. one of source, target required'],
  ['FROM x\nRUN --mount=type=secret,source=a,id=b x\n', 2, "both source and id can't be set"],
  ['FROM x\nRUN --mount=type=bind,sharing=shared,target=/x x\n', 2, 'invalid cache sharing set for bind mount'],
  ['FROM x\nRUN --mount=type=cache,sharing=lockd,target=/x x\n', 2, 'unsupported sharing value "lockd" (did you mean locked?)'],
  ['FROM x\nRUN --mount=a\\"b x\n', 2, 'failed to parse csv mounts: parse error on line 1, column 2: bare " in non-quoted-field'],
  // A quote opened in a flag runs to the end of the line, as in BuildKit.
  ['FROM x\nRUN --mount=a"b x\n', 2, "invalid field 'ab x' must be a key=value pair"],
  ['FROM x\nRUN --mount=type=bind,from=$STAGE,target=/x x\n', 2, "'from' doesn't support variable expansion, define alias stage instead"],
  ['FROM x\nRUN --mount= x\n', 2, 'failed to parse csv mounts: EOF'],
  ['FROM x\nRUN <<EOF\nnever closed\n', 2, 'unterminated heredoc: no line "EOF" closes the <<EOF that starts here'],
  ['# escape=`\n# escape=\\\nFROM x\n', 2, 'only one escape parser directive can be used'],
  ['# escape=x\nFROM x\n', 1, "invalid escape token 'x' does not match ` or \\"],
  ['# check=bogus=1\nFROM x\n', 1, 'failed to parse check options: invalid check option "bogus"'],
  ['# check=error=maybe\nFROM x\n', 1, 'failed to parse check options: failed to parse check option "error=maybe": strconv.ParseBool: parsing "maybe": invalid syntax'],
];

for (const [text, line, detail] of errors) {
  test(`rejects ${JSON.stringify(text)}`, () => {
    fails(text, line, detail);
  });
}

test('a parse error points at the column of the offending flag', () => {
  const err = fails('FROM x\n  COPY --from=a --frm=b a b\n', 2, 'unknown flag: --frm (did you mean from?)');
  assert.equal(err.location.column, 17);
});

test('an error in a multi-line instruction names its first line and spans to its last', () => {
  const err = fails('FROM x\nRUN --network=bogus \\\n  make \\\n  all\n', 2, 'invalid network mode "bogus"');
  assert.equal(err.location.endLine, 4);
});

test('syntax errors come before an invalid --mount found earlier (BuildKit checks mounts at dispatch)', () => {
  fails('FROM x\nRUN --mount=type=foo x\nFROBNICATE\n', 3, 'unknown instruction: FROBNICATE');
});

test('an unterminated heredoc is reported even after other instructions', () => {
  const err = fails('FROM x\nRUN a\nCOPY <<EOT /x\nline\n', 3, 'unterminated heredoc: no line "EOT" closes the <<EOT that starts here');
  assert.equal(err.location.endLine, 4);
  assert.match(err.hint ?? '', /EOT/);
});

test('the file name in errors is the one given', () => {
  assert.throws(() => parseDockerfile('FROM x\nZZZZZZ\n', { file: 'build/Dockerfile.dev' }), { message: 'build/Dockerfile.dev:2: unknown instruction: ZZZZZZ' });
});

test('the no-FROM error says what to do', () => {
  const err = fails('RUN echo hi\n', 1, 'no build stage in current context');
  assert.match(err.hint ?? '', /must start with FROM/);
});
