// The argv a RUN executes and the `created_by` strings BuildKit writes into image history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instruction, RunInstruction } from '../../../src/builder/dockerfile/index.ts';
import {
  argHistory, cmdHistory, copyHistory, defaultShell, entrypointHistory, expandInstruction, exposeHistory,
  healthcheckHistory, HISTORY_COMMENT, keyValueHistory, maintainerHistory, parseDockerfile, parseExposedPorts,
  resolveStageArg, resolveWorkdir, runCommandLine, runHistory, shellHistory, stepName, stopsignalHistory, userHistory,
  volumeHistory, withShell, workdirHistory,
} from '../../../src/builder/dockerfile/index.ts';

function insts(body: string): Instruction[] {
  return parseDockerfile(`FROM x\n${body}\n`).stages[0]?.instructions ?? [];
}

function runOf(body: string): RunInstruction {
  const r = insts(body)[0];
  assert.ok(r?.kind === 'RUN');
  return r;
}

const sh = defaultShell();

test('the history comment and the default shells', () => {
  assert.equal(HISTORY_COMMENT, 'buildkit.dockerfile.v0');
  assert.deepEqual(defaultShell(), ['/bin/sh', '-c']);
  assert.deepEqual(defaultShell('windows'), ['cmd', '/S', '/C']);
});

test('RUN shell form: the SHELL in effect, then the command; exec form as is', () => {
  assert.equal(runHistory(runCommandLine(runOf('RUN npm ci'), sh).args, [], new Map()), 'RUN /bin/sh -c npm ci # buildkit');
  assert.equal(runHistory(runCommandLine(runOf('RUN ["echo", "a b"]'), sh).args, [], new Map()), 'RUN echo a b # buildkit');
  const bash = ['/bin/bash', '-o', 'pipefail', '-c'];
  assert.deepEqual(runCommandLine(runOf('RUN curl x | sh'), bash).args, ['/bin/bash', '-o', 'pipefail', '-c', 'curl x | sh']);
  assert.equal(runHistory(runCommandLine(runOf('RUN curl x | sh'), bash).args, [], new Map()), 'RUN /bin/bash -o pipefail -c curl x | sh # buildkit');
});

test('RUN history lists the declared ARGs as |N K=V, the value from the env when set there', () => {
  const args = runCommandLine(runOf('RUN echo $MODE'), sh).args;
  assert.equal(runHistory(args, [{ key: 'MODE', value: 'prod' }], new Map([['MODE', 'prod']])), 'RUN |1 MODE=prod /bin/sh -c echo $MODE # buildkit');
  // An ENV of the same name wins; an ARG without a value shows as empty; a redeclared ARG once.
  assert.equal(
    runHistory(args, [{ key: 'A', value: '1' }, { key: 'B', value: undefined }, { key: 'A', value: '2' }], new Map([['A', 'env']])),
    'RUN |2 A=env B= /bin/sh -c echo $MODE # buildkit',
  );
});

test('RUN heredoc: a lone heredoc runs its body with the shell', () => {
  const r = runCommandLine(runOf('RUN <<EOF\necho a\necho b\nEOF'), sh);
  assert.deepEqual([r.args, r.script, r.summary], [['/bin/sh', '-c', 'echo a\necho b\n'], undefined, 'echo a...']);
  assert.equal(runHistory(r.args, [], new Map()), 'RUN /bin/sh -c echo a\necho b\n # buildkit');
});

test('RUN heredoc: <<- removes the leading tabs of the body', () => {
  assert.deepEqual(runCommandLine(runOf('RUN <<-EOF\n\t\techo a\n\tEOF'), sh).args, ['/bin/sh', '-c', 'echo a\n']);
});

test('RUN heredoc: a body starting with #! becomes a script file in /dev/pipes', () => {
  const r = runCommandLine(runOf('RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF'), sh);
  assert.deepEqual(r.args, ['/bin/sh', '-c', '/dev/pipes/EOF']);
  assert.deepEqual(r.script, { name: 'EOF', data: '#!/usr/bin/env python3\nprint(1)\n', dir: '/dev/pipes/', mode: 0o755 });
});

test('RUN heredoc: heredocs inside a longer command are passed inline to the shell', () => {
  const r = runCommandLine(runOf('RUN python3 <<PY > out\nprint(1)\nPY'), sh);
  assert.deepEqual(r.args, ['/bin/sh', '-c', 'python3 <<PY > out\nprint(1)\nPY']);
  const two = runCommandLine(runOf('RUN cat <<A <<B\na\nA\nb\nB'), sh);
  assert.deepEqual(two.args, ['/bin/sh', '-c', 'cat <<A <<B\na\nA\nb\nB']);
});

test('COPY/ADD history: flags BuildKit records, sources, heredoc names, destination', () => {
  assert.equal(copyHistory({ kind: 'COPY', sources: ['app.js'], inlineNames: [], dest: '.' }), 'COPY app.js . # buildkit');
  assert.equal(copyHistory({ kind: 'COPY', sources: ['a', 'b'], inlineNames: ['EOF'], dest: '/d/', chown: '1:1', chmod: '755', parents: true }), 'COPY --parents --chown=1:1 --chmod=755 a b <<EOF /d/ # buildkit');
  assert.equal(copyHistory({ kind: 'ADD', sources: ['bundle.tar'], inlineNames: [], dest: '/opt/bundle/' }), 'ADD bundle.tar /opt/bundle/ # buildkit');
  // --from, --link and --exclude do not appear.
  const c = expandInstruction(insts('COPY --from=build --link --exclude=x --chown=$U dist/ /srv/')[0] as Instruction, new Map([['U', 'node']])).instruction;
  assert.ok(c.kind === 'COPY');
  assert.equal(copyHistory({ kind: 'COPY', sources: c.sources, inlineNames: c.inline.map((i) => i.name), dest: c.dest, chown: c.chown, chmod: c.chmod, parents: c.parents }), 'COPY --chown=node dist/ /srv/ # buildkit');
});

test('ENV and LABEL history from expanded pairs', () => {
  const e = expandInstruction(insts('ENV TARGET="blog.sixeyed.com" METHOD=HEAD')[0] as Instruction, new Map()).instruction;
  assert.equal(e.kind === 'ENV' && keyValueHistory('ENV', e.pairs), 'ENV TARGET=blog.sixeyed.com METHOD=HEAD');
  assert.equal(keyValueHistory('LABEL', [{ key: 'stage', value: 'one', legacy: false }]), 'LABEL stage=one');
});

test('WORKDIR: relative paths join the current one; absolute ones are kept as written', () => {
  assert.equal(resolveWorkdir('', '/web-ping'), '/web-ping');
  assert.equal(resolveWorkdir('/app', 'src'), '/app/src');
  assert.equal(resolveWorkdir('/app/src', '../lib/./x/'), '/app/lib/x');
  assert.equal(resolveWorkdir('', 'rel'), '/rel');
  assert.equal(resolveWorkdir('/a', '/b/../c/'), '/b/../c/');
  assert.equal(resolveWorkdir('/a', ''), '/a');
  assert.equal(workdirHistory(resolveWorkdir('', '/web-ping')), 'WORKDIR /web-ping');
});

test('CMD and ENTRYPOINT history: Go %q of the final argv', () => {
  assert.equal(cmdHistory(['node', '/web-ping/app.js']), 'CMD ["node" "/web-ping/app.js"]');
  assert.equal(cmdHistory(withShell(sh, ['echo $GREETING at level $LEVEL'])), 'CMD ["/bin/sh" "-c" "echo $GREETING at level $LEVEL"]');
  assert.equal(entrypointHistory(['/bin/echo']), 'ENTRYPOINT ["/bin/echo"]');
  assert.equal(cmdHistory(['a"b', 'c\\d', 'tab\there', 'é', '\u0001', '\u00a0']), 'CMD ["a\\"b" "c\\\\d" "tab\\there" "é" "\\x01" "\\u00a0"]');
  assert.equal(cmdHistory([]), 'CMD []');
});

test('EXPOSE, USER, VOLUME, STOPSIGNAL, SHELL, MAINTAINER history (Go %v)', () => {
  assert.equal(exposeHistory(parseExposedPorts(['80', '443/udp'])), 'EXPOSE [80/tcp 443/udp]');
  assert.equal(userHistory('65534:65534'), 'USER 65534:65534');
  assert.equal(volumeHistory(['/data', '/logs']), 'VOLUME [/data /logs]');
  assert.equal(stopsignalHistory('SIGQUIT'), 'STOPSIGNAL SIGQUIT');
  assert.equal(shellHistory(['/bin/bash', '-c']), 'SHELL [/bin/bash -c]');
  assert.equal(maintainerHistory('me <me@example.com>'), 'MAINTAINER me <me@example.com>');
});

test('HEALTHCHECK history: Go %+v of the config', () => {
  const h = insts('HEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1')[0];
  assert.ok(h?.kind === 'HEALTHCHECK');
  assert.equal(healthcheckHistory(h), 'HEALTHCHECK {Test:[CMD-SHELL curl -f http://localhost/ || exit 1] Interval:5m0s Timeout:3s StartPeriod:0s StartInterval:0s Retries:3}');
  const n = insts('HEALTHCHECK NONE')[0];
  assert.ok(n?.kind === 'HEALTHCHECK');
  assert.equal(healthcheckHistory(n), 'HEALTHCHECK {Test:[NONE] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}');
  const f = insts('HEALTHCHECK --interval=1500ms --start-interval=1h1s CMD ["true"]')[0];
  assert.ok(f?.kind === 'HEALTHCHECK');
  assert.equal(healthcheckHistory(f), 'HEALTHCHECK {Test:[CMD true] Interval:1.5s Timeout:0s StartPeriod:0s StartInterval:1h0m1s Retries:0}');
});

test('ARG history with resolved values', () => {
  const a = insts('ARG MODE=dev FLAG')[0];
  assert.ok(a?.kind === 'ARG');
  const r = resolveStageArg(a, { env: new Map(), buildArgs: new Map([['MODE', 'prod']]), globalArgs: new Map() });
  assert.equal(argHistory(r), 'ARG MODE=prod FLAG');
});

test('the web-ping example: history rows in docker order', () => {
  const df = parseDockerfile('FROM diamol/node\n\nENV TARGET="blog.sixeyed.com" \\\n    METHOD="HEAD" \\\n    INTERVAL="3000"\n\nWORKDIR /web-ping\nCOPY app.js .\n\nCMD ["node", "/web-ping/app.js"]\n');
  const rows: string[] = [];
  let workdir = '';
  for (const inst of df.stages[0]?.instructions ?? []) {
    const e = expandInstruction(inst, new Map()).instruction;
    if (e.kind === 'ENV') rows.push(keyValueHistory('ENV', e.pairs));
    if (e.kind === 'WORKDIR') rows.push(workdirHistory((workdir = resolveWorkdir(workdir, e.path))));
    if (e.kind === 'COPY') rows.push(copyHistory({ kind: 'COPY', sources: e.sources, inlineNames: [], dest: e.dest }));
    if (e.kind === 'CMD') rows.push(cmdHistory(e.command));
  }
  assert.deepEqual(rows, [
    'ENV TARGET=blog.sixeyed.com METHOD=HEAD INTERVAL=3000',
    'WORKDIR /web-ping',
    'COPY app.js . # buildkit',
    'CMD ["node" "/web-ping/app.js"]',
  ]);
});

test('step names as BuildKit shows them in progress', () => {
  const env = new Map([['V', '1.2'], ['HOME', '/root']]);
  const [r, c, w, e] = insts('run echo "$V" $UNSET\ncopy --chown=$U "a" ${HOME}/b\nWORKDIR $HOME\nENV A=1');
  assert.ok(r && c && w && e);
  assert.equal(stepName(r, env), 'RUN echo "1.2" $UNSET');
  assert.equal(stepName(c, env), 'COPY --chown= a /root/b');
  assert.equal(stepName(w, env), 'WORKDIR /root');
  assert.equal(stepName(e, env), undefined);
  assert.equal(stepName(runOf('RUN <<EOF\nfirst\nsecond\nEOF'), env), 'RUN <<EOF (first...)');
});
