// The solver through the real CLI with real runc and overlayfs: history and config as
// BuildKit writes them, stages (target, only what is needed, in parallel), ONBUILD, heredocs,
// the instruction flags, contexts from stdin and -f outside the context, secrets, and the
// CLI flags around a build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { strataAsync } from '../helpers/registry-cli.ts';
import { BASE, buildOk, buildPlain, context, storeWithBase, strata, strataOk, writeTree } from './build-fixture.ts';

const root = storeWithBase();

function inspect(ref: string, format: string): string {
  return strataOk(root, ['image', 'inspect', '--format', format, ref]).trim();
}

function run(ref: string, ...cmd: string[]): string {
  return strataOk(root, ['run', '--rm', ref, ...cmd]);
}

test('the web-ping example gives docker\'s history rows, sizes and order, with the image ID on the top row', () => {
  // docker 20.10's legacy builder, same Dockerfile and app.js, on the same busybox base:
  //   docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' web-ping:1
  // gave CMD 0B, COPY 76B, WORKDIR 0B, ENV 0B ×3, then the base's CMD 0B, RUN 3.22kB, COPY 1.98MB.
  const app = 'const http = require("http");\nconsole.log(`pinging ${process.env.TARGET}`);\n';
  assert.equal(Buffer.byteLength(app), 76);
  const ctx = context(`FROM ${BASE}\n\nENV TARGET="blog.sixeyed.com"\nENV METHOD="HEAD"\nENV INTERVAL="3000"\n\nWORKDIR /web-ping\nCOPY app.js .\n\nCMD ["node", "/web-ping/app.js"]\n`, { 'app.js': app });
  strataOk(root, ['build', '-q', '-t', 'web-ping:1', ctx]);
  const rows = strataOk(root, ['image', 'history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', 'web-ping:1']).trim().split('\n');
  const id = strataOk(root, ['images', '-q', '--no-trunc', 'web-ping:1']).trim();
  assert.deepEqual(rows, [
    `${id}|CMD ["node" "/web-ping/app.js"]|0B|buildkit.dockerfile.v0`,
    '<missing>|COPY app.js . # buildkit|76B|buildkit.dockerfile.v0',
    '<missing>|WORKDIR /web-ping|0B|buildkit.dockerfile.v0',
    '<missing>|ENV INTERVAL=3000|0B|buildkit.dockerfile.v0',
    '<missing>|ENV METHOD=HEAD|0B|buildkit.dockerfile.v0',
    '<missing>|ENV TARGET=blog.sixeyed.com|0B|buildkit.dockerfile.v0',
    '<missing>|CMD ["/bin/sh"]|0B|buildkit.dockerfile.v0',
    '<missing>|RUN /bin/busybox --install -s /bin # buildkit|3.22kB|buildkit.dockerfile.v0',
    '<missing>|COPY busybox /bin/busybox # buildkit|1.98MB|buildkit.dockerfile.v0',
  ]);
  // The config as BuildKit sets it; WORKDIR made a layer, the ENVs did not.
  assert.equal(inspect('web-ping:1', '{{json .Config.Env}} {{.Config.WorkingDir}} {{json .Config.Cmd}} {{len .RootFS.Layers}}'),
    '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TARGET=blog.sixeyed.com","METHOD=HEAD","INTERVAL=3000"] /web-ping ["node","/web-ping/app.js"] 4');
  assert.equal(run('web-ping:1', 'cat', '/web-ping/app.js'), app);
});

test('metadata instructions set the config and add empty history entries; RUN history carries the declared args', () => {
  const ctx = context([
    `FROM ${BASE}`,
    'RUN mkdir -m 1777 /w',
    'ARG VERSION=1.2',
    'LABEL org.example.version=$VERSION maintainer="x y"',
    'EXPOSE 8080 53/udp',
    'USER 1000:1000',
    'VOLUME ["/data", "/cache"]',
    'STOPSIGNAL SIGQUIT',
    'HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost',
    'SHELL ["/bin/sh", "-ec"]',
    'RUN id -u > /w/uid',
    'ENTRYPOINT echo hi',
    '',
  ].join('\n'));
  strataOk(root, ['build', '-q', '--label', 'extra=1', '-t', 'meta:1', ctx]);
  const config = JSON.parse(inspect('meta:1', '{{json .Config}}')) as Record<string, unknown>;
  assert.deepEqual(config['Labels'], { 'org.example.version': '1.2', maintainer: 'x y', extra: '1' });
  // Labels are a Go map: encoding/json writes its keys sorted, whatever order they were set in.
  assert.equal(inspect('meta:1', '{{json .Config.Labels}}'), '{"extra":"1","maintainer":"x y","org.example.version":"1.2"}');
  assert.deepEqual(config['ExposedPorts'], { '53/udp': {}, '8080/tcp': {} });
  assert.equal(config['User'], '1000:1000');
  assert.deepEqual(config['Volumes'], { '/cache': {}, '/data': {} });
  assert.equal(config['StopSignal'], 'SIGQUIT');
  assert.deepEqual(config['Healthcheck'], { Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 5_000_000_000, Retries: 2 });
  assert.deepEqual(config['Shell'], ['/bin/sh', '-ec']);
  assert.deepEqual(config['Entrypoint'], ['/bin/sh', '-ec', 'echo hi']);
  assert.equal(config['Cmd'], undefined);
  const history = strataOk(root, ['image', 'history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'meta:1']).trim().split('\n').slice(0, 10);
  assert.deepEqual(history, [
    'ENTRYPOINT ["/bin/sh" "-ec" "echo hi"]|0B',
    'RUN |1 VERSION=1.2 /bin/sh -ec id -u > /w/uid # buildkit|5B',
    'SHELL [/bin/sh -ec]|0B',
    'HEALTHCHECK {Test:[CMD-SHELL wget -q localhost] Interval:5s Timeout:0s StartPeriod:0s StartInterval:0s Retries:2}|0B',
    'STOPSIGNAL SIGQUIT|0B',
    'VOLUME [/data /cache]|0B',
    'USER 1000:1000|0B',
    'EXPOSE [53/udp 8080/tcp]|0B',
    'LABEL org.example.version=1.2 maintainer=x y|0B',
    'ARG VERSION=1.2|0B',
  ]);
  // USER applied to RUN.
  assert.equal(strataOk(root, ['run', '--rm', '--entrypoint', 'cat', 'meta:1', '/w/uid']), '1000\n');
});

test('--target builds only the stages it needs, and independent stages run at the same time', () => {
  // a and b meet in a shared cache mount: each waits (60 s at most) until the other has
  // started, so both finish only if they run at the same time, however loaded the machine.
  const meetId = `meet-${process.pid}-${Date.now()}`;
  const meet = (me: string, other: string): string => `RUN --mount=type=cache,id=${meetId},target=/m sh -c 'touch /m/${me}; i=0; while [ ! -e /m/${other} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo ${me} > /${me}'`;
  const ctx = context([
    `FROM ${BASE} AS a`,
    meet('a', 'b'),
    `FROM ${BASE} AS b`,
    meet('b', 'a'),
    `FROM ${BASE} AS never`,
    'RUN echo never > /never',
    `FROM ${BASE} AS final`,
    'COPY --from=a /a /a',
    'COPY --from=b /b /b',
    `FROM ${BASE} AS other`,
    'RUN echo other',
    '',
  ].join('\n'));
  const r = buildPlain(root, ['--target', 'final', '-t', 'stages:final', ctx]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.steps.some((s) => s.name.startsWith('[never') || s.name.startsWith('[other')), r.steps.map((s) => s.name).join('\n'));
  // Both RUNs started before either finished.
  const lines = r.stderr.split('\n');
  const id = (name: string): string => (/^(#\d+) /.exec(lines.find((l) => l.endsWith(name)) ?? '') ?? [])[1] ?? 'none';
  const a = id(meet('a', 'b'));
  const b = id(meet('b', 'a'));
  const started = Math.max(lines.findIndex((l) => l === `${a} [a 2/2] ${meet('a', 'b')}`), lines.findIndex((l) => l === `${b} [b 2/2] ${meet('b', 'a')}`));
  const firstDone = Math.min(...[a, b].map((v) => lines.findIndex((l) => l.startsWith(`${v} DONE`))));
  assert.ok(started >= 0 && started < firstDone, r.stderr);
  assert.equal(run('stages:final', 'cat', '/a', '/b'), 'a\nb\n');
  const bad = strata(root, ['build', '-q', '--target', 'nosuch', ctx]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /target stage "nosuch" could not be found/);
});

test('ONBUILD triggers are stored, then run in a build FROM the image, and not inherited further', () => {
  const base = context(`FROM ${BASE}\nONBUILD COPY marker.txt /marker\nONBUILD RUN echo triggered > /triggered\n`);
  strataOk(root, ['build', '-q', '-t', 'onbuild/base', base]);
  assert.deepEqual(JSON.parse(inspect('onbuild/base', '{{json .Config.OnBuild}}')), ['COPY marker.txt /marker', 'RUN echo triggered > /triggered']);
  const child = context('FROM onbuild/base\nRUN cat /triggered /marker > /both\n', { 'marker.txt': 'm\n' });
  const steps = buildOk(root, ['-t', 'onbuild/child', child]);
  assert.deepEqual(steps.map((s) => s.name), [
    // BuildKit counts the FROM as step 1, then the triggers, then the stage's own steps.
    '[2/4] ONBUILD COPY marker.txt /marker',
    '[3/4] ONBUILD RUN echo triggered > /triggered',
    '[4/4] RUN cat /triggered /marker > /both',
  ]);
  assert.equal(run('onbuild/child', 'cat', '/both'), 'triggered\nm\n');
  assert.equal(inspect('onbuild/child', '{{json .Config.OnBuild}}'), 'null');
});

test('heredocs: RUN scripts, a #! script, and COPY of an inline file with variables expanded', () => {
  const ctx = context([
    `FROM ${BASE}`,
    'ARG WHO=world',
    'RUN <<EOF',
    'echo one > /one',
    'echo two >> /one',
    'EOF',
    'RUN <<EOT sh',
    '#!/bin/sh',
    'echo "from script $0" > /script',
    'EOT',
    'RUN <<-EOF',
    '\techo tabbed > /tabbed',
    '\tEOF',
    'COPY <<EOF /greeting',
    'hello $WHO',
    'EOF',
    '',
  ].join('\n'));
  strataOk(root, ['build', '-q', '-t', 'heredoc:1', ctx]);
  assert.equal(run('heredoc:1', 'cat', '/one', '/tabbed', '/greeting'), 'one\ntwo\ntabbed\nhello world\n');
  assert.match(run('heredoc:1', 'cat', '/script'), /^from script /);
});

test('COPY flags: --chown by name, --chmod, --exclude, --parents, wildcards, --from an image, --link', () => {
  const ctx = context([
    `FROM ${BASE}`,
    'RUN mkdir -p /etc && echo "app:x:1234:2345::/home/app:/bin/sh" > /etc/passwd && echo "staff:x:50:" > /etc/group',
    'COPY --chown=app:staff --chmod=640 conf/a.conf /etc/app/',
    'COPY --exclude=*.tmp --exclude=skip src/ /src/',
    'COPY --parents ./pkg/*/package.json /deps/',
    'COPY *.md /docs/',
    `COPY --from=${BASE} /bin/busybox /copied-busybox`,
    'COPY --link conf/ /linked/',
    '',
  ].join('\n'), {
    'conf/a.conf': 'a=1\n',
    'src/main.c': 'int main;\n',
    'src/junk.tmp': 'x',
    'src/skip/x': 'x',
    'src/keep/y': 'y',
    'pkg/one/package.json': '{}',
    'pkg/one/index.js': '',
    'pkg/two/package.json': '{"two":1}',
    'README.md': '# r',
    'CHANGES.md': '# c',
  });
  strataOk(root, ['build', '-q', '-t', 'copyflags:1', ctx]);
  assert.equal(run('copyflags:1', 'stat', '-c', '%u:%g %a %n', '/etc/app/a.conf'), '1234:50 640 /etc/app/a.conf\n');
  assert.equal(run('copyflags:1', 'find', '/src', '/deps', '/docs', '/linked').split('\n').filter(Boolean).sort().join(' '),
    '/deps /deps/pkg /deps/pkg/one /deps/pkg/one/package.json /deps/pkg/two /deps/pkg/two/package.json /docs /docs/CHANGES.md /docs/README.md /linked /linked/a.conf /src /src/keep /src/keep/y /src/main.c');
  assert.equal(run('copyflags:1', 'sh', '-c', 'cmp /bin/busybox /copied-busybox && echo same'), 'same\n');
});

test('ADD unpacks local archives, fetches URLs checking --checksum, and rejects --keep-git-dir', async () => {
  const payload = tempDir();
  writeTree(payload, { 'inner/file.txt': 'inside\n' });
  const ctx = context('', {});
  execFileSync('tar', ['-czf', join(ctx, 'bundle.tgz'), '-C', payload, 'inner']);
  const body = 'downloaded\n';
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const server = createServer((req, res) => {
    if (req.url === '/files/remote.txt') {
      res.writeHead(200, { 'content-type': 'text/plain', 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nADD bundle.tgz /unpacked/\nADD --chown=7:8 bundle.tgz /owned/\nADD --checksum=${digest} http://127.0.0.1:${port}/files/remote.txt /remote/\n`);
    const ok = await strataAsync(root, ['build', '-q', '-t', 'add:1', ctx]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(run('add:1', 'cat', '/unpacked/inner/file.txt', '/remote/remote.txt'), 'inside\ndownloaded\n');
    assert.equal(run('add:1', 'stat', '-c', '%u:%g', '/owned/inner', '/owned/inner/file.txt', '/unpacked/inner/file.txt'), '7:8\n7:8\n0:0\n');
    assert.equal(run('add:1', 'stat', '-c', '%a %Y', '/remote/remote.txt'), `600 ${Date.UTC(2015, 9, 21, 7, 28) / 1000}\n`);
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/files/remote.txt /remote/\n`);
    const bad = await strataAsync(root, ['build', '-q', ctx]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /digest mismatch/);
  } finally {
    server.close();
  }
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nADD --keep-git-dir=true bundle.tgz /x/\n`);
  const git = strata(root, ['build', '-q', ctx]);
  assert.equal(git.status, 1);
  assert.match(git.stderr, /--keep-git-dir is for git sources, which strata does not fetch/);
});

test('WORKDIR creates its directory as a layer owned by the USER; relative WORKDIRs join', () => {
  const ctx = context(`FROM ${BASE}\nUSER 4321\nWORKDIR /srv\nWORKDIR app\nRUN pwd > /srv/app/pwd\n`);
  strataOk(root, ['build', '-q', '-t', 'workdir:1', ctx]);
  assert.equal(run('workdir:1', 'stat', '-c', '%u %a', '/srv/app'), '4321 755\n');
  assert.equal(run('workdir:1', 'cat', '/srv/app/pwd'), '/srv/app\n');
  assert.equal(inspect('workdir:1', '{{.Config.WorkingDir}}'), '/srv/app');
});

test('contexts: a Dockerfile on stdin, a tarball on stdin, -f outside the context, .dockerignore and <Dockerfile>.dockerignore', () => {
  const fromStdin = strataOk(root, ['build', '-q', '-'], { input: `FROM ${BASE}\nRUN echo stdin > /s\n` }).trim();
  assert.match(fromStdin, /^sha256:[0-9a-f]{64}$/);
  assert.equal(run(fromStdin, 'cat', '/s'), 'stdin\n');
  const noContext = strata(root, ['build', '-q', '-'], { input: `FROM ${BASE}\nCOPY x /x\n` });
  assert.equal(noContext.status, 1);
  assert.match(noContext.stderr, /"\/x": not found/);

  const tarDir = context(`FROM ${BASE}\nCOPY . /ctx/\n`, { 'a.txt': 'a', '.dockerignore': 'ignored.txt\n', 'ignored.txt': 'no' });
  const tarball = execFileSync('tar', ['-C', tarDir, '-cf', '-', '.']);
  const fromTar = strataOk(root, ['build', '-q', '-'], { input: tarball }).trim();
  assert.equal(run(fromTar, 'ls', '/ctx'), 'Dockerfile\na.txt\n');

  const ctx = context('', { 'keep.txt': 'k', 'secret.key': 's', 'logs/a.log': 'l', 'logs/important.log': 'i', '.dockerignore': '*.key\nlogs\n!logs/important.log\n' });
  const outside = tempDir();
  writeFileSync(join(outside, 'Special.Dockerfile'), `FROM ${BASE}\nCOPY . /ctx/\n`);
  const id = strataOk(root, ['build', '-q', '-f', join(outside, 'Special.Dockerfile'), ctx]).trim();
  assert.equal(run(id, 'find', '/ctx').split('\n').filter(Boolean).sort().join(' '), '/ctx /ctx/.dockerignore /ctx/Dockerfile /ctx/keep.txt /ctx/logs /ctx/logs/important.log');
  // An ignore file beside the Dockerfile replaces the context's.
  writeFileSync(join(outside, 'Special.Dockerfile.dockerignore'), 'keep.txt\n');
  const id2 = strataOk(root, ['build', '-q', '-f', join(outside, 'Special.Dockerfile'), ctx]).trim();
  assert.ok(!run(id2, 'find', '/ctx').includes('keep.txt'));
  assert.ok(run(id2, 'find', '/ctx').includes('secret.key'));
});

test('--secret is mounted for the RUN that asks for it and never stored', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'token'), 's3cr3t');
  const ctx = context(`FROM ${BASE}\nRUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len && (ls /run/secrets 2>/dev/null || true) > /during\nRUN --mount=type=secret,id=tok,env=TOKEN,target=/s sh -c 'echo $TOKEN | wc -c > /envlen'\n`);
  strataOk(root, ['build', '-q', '--secret', `id=tok,src=${join(dir, 'token')}`, '-t', 'secret:1', ctx]);
  assert.equal(run('secret:1', 'cat', '/len', '/during', '/envlen').replace(/\s+/g, ' ').trim(), '6 tok 7');
  assert.equal(run('secret:1', 'sh', '-c', 'ls /run/secrets /s 2>&1 | wc -l').trim(), '2');
  const missing = strata(root, ['build', '-q', context(`FROM ${BASE}\nRUN --mount=type=secret,id=nope,required cat /run/secrets/nope\n`)]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /secret nope not found/);
});

test('CLI flags: -q prints only the ID, --iidfile, several -t, --platform only native, bad -t refused first', () => {
  const ctx = context(`FROM ${BASE}\nRUN echo flags > /f\n`);
  const iid = join(tempDir(), 'iid');
  const out = strata(root, ['build', '-q', '--iidfile', iid, '-t', 'flags:1', '-t', 'flags:2', '--platform', 'linux/amd64', ctx]);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(out.stderr, '');
  assert.equal(readFileSync(iid, 'utf8'), out.stdout.trim());
  assert.equal(strataOk(root, ['images', '--format', '{{.Tag}}', 'flags']).split('\n').filter(Boolean).sort().join(','), '1,2');
  const arm = strata(root, ['build', '-q', '--platform', 'linux/arm64', ctx]);
  assert.equal(arm.status, 1);
  assert.match(arm.stderr, /native platform/);
  const badTag = strata(root, ['build', '-q', '-t', 'Bad:Tag:x', ctx]);
  assert.equal(badTag.status, 1);
  assert.match(badTag.stderr, /invalid argument "Bad:Tag:x" for "-t, --tag" flag: invalid reference format/);
  const plain = buildPlain(root, ['--no-cache', ctx]);
  assert.match(plain.stderr, /^#1 \[internal\] load build definition from Dockerfile\n/);
  assert.match(plain.stderr, /#\d+ \[2\/2\] RUN echo flags > \/f\n#\d+ cache miss: the build runs with --no-cache\n#\d+ DONE \d+\.\ds\n/);
  assert.match(plain.stderr, /#\d+ writing image sha256:[0-9a-f]{64} done\n/);
  assert.equal(plain.stdout, '');
});

test('a RUN sees the stage env, args and proxy build args; proxies stay out of history', () => {
  const ctx = context(`FROM ${BASE}\nENV A=1\nARG B=2\nRUN env | grep -E '^(A|B|HTTP_PROXY|http_proxy)=' | sort > /env\n`);
  strataOk(root, ['build', '-q', '--build-arg', 'HTTP_PROXY=http://proxy:3128', '-t', 'env:1', ctx]);
  assert.equal(run('env:1', 'cat', '/env'), 'A=1\nB=2\nHTTP_PROXY=http://proxy:3128\nhttp_proxy=http://proxy:3128\n');
  assert.ok(!strataOk(root, ['history', '--no-trunc', 'env:1']).includes('proxy:3128'));
});

test('files runc creates as mount points never reach a layer, nor the directories holding them', () => {
  const topLayer = (id: string): string => {
    const dir = tempDir();
    strataOk(root, ['save', '-o', join(dir, 'img.tar'), id]);
    execFileSync('tar', ['-xf', join(dir, 'img.tar'), '-C', dir]);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    return execFileSync('tar', ['-tf', join(dir, manifest[0]?.Layers.at(-1) as string)]).toString();
  };
  // No /etc, /proc or /dev in the base: runc makes them, and they go again.
  const bare = strataOk(root, ['build', '-q', context(`FROM ${BASE}\nRUN --mount=type=tmpfs,target=/scratch/space echo > /dev/null\n`)]).trim();
  assert.equal(topLayer(bare), '');
  // An /etc in the base: runc's /etc/hosts made overlayfs copy /etc up; the layer still has only the new file.
  const withEtc = strataOk(root, ['build', '-q', context(`FROM ${BASE}\nRUN mkdir -p /etc /proc /dev\nRUN echo y > /y\n`)]).trim();
  assert.equal(topLayer(withEtc), 'y\n');
});

test('FROM an image docker built: its layers (whiteouts, opaque dirs) are the base; docker\'s legacy config fields are not inherited', () => {
  strataOk(root, ['load', '-i', new URL('../fixtures/docker-save/three-images.tar', import.meta.url).pathname]);
  const ctx = context('FROM strata-fixture/three:1\nUSER 0\nRUN ls -a /data /data/sub | tr "\\n" " " > /listing\n');
  strataOk(root, ['build', '-q', '-t', 'from-docker:1', ctx]);
  assert.equal(strataOk(root, ['run', '--rm', '--entrypoint', 'cat', 'from-docker:1', '/listing']).trim(), '/data: . .. fifo sub  /data/sub: . .. fresh');
  const config = JSON.parse(strataOk(root, ['image', 'inspect', '--format', '{{json .}}', 'from-docker:1'])) as Record<string, unknown>;
  assert.equal(config['Container'] ?? '', '');
  assert.equal(config['DockerVersion'] ?? '', '');
  assert.equal(strataOk(root, ['image', 'inspect', '--format', '{{.Config.User}} {{.Config.WorkingDir}}', 'from-docker:1']).trim(), '0 /data');
  const raw = strataOk(root, ['save', 'from-docker:1']).length;
  assert.ok(raw > 0);
});

test('RUN --mount=type=bind of the context sees what COPY would (no ignored files); rw writes are thrown away', () => {
  const ctx = context(`FROM ${BASE}\nRUN --mount=type=bind,target=/ctx ls -A /ctx | tr "\\n" " " > /seen\nRUN --mount=type=bind,source=src,target=/src,rw sh -c 'echo scribble > /src/new && ls /src | tr "\\n" " "' > /rw\n`, {
    '.dockerignore': 'secret.txt\n', 'secret.txt': 's', 'src/a.txt': 'a',
  });
  strataOk(root, ['build', '-q', '-t', 'bindctx:1', ctx]);
  assert.equal(run('bindctx:1', 'cat', '/seen', '/rw'), '.dockerignore Dockerfile src a.txt new ');
  assert.ok(!existsSync(join(ctx, 'src', 'new')));
});

test('COPY --link makes its layer as on an empty tree: a symlink below is not followed', () => {
  const ctx = context(`FROM ${BASE}\nRUN mkdir /srv && ln -s /srv /app\nCOPY f /app/f\nCOPY --link f /app/linked\n`, { f: 'x' });
  strataOk(root, ['build', '-q', '-t', 'link:1', ctx]);
  assert.equal(run('link:1', 'sh', '-c', 'ls /srv; test -L /app && echo symlink || echo dir; ls /app'), 'f\ndir\nlinked\n');
});
