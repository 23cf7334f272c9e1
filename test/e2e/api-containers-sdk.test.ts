// The SDKs Node's Docker tooling is built on, against `strata system service`: dockerode
// (create, start, wait for a log line, exec, getArchive/putArchive, stop, remove) and
// testcontainers 10 (reaper disabled: it would need an image from Docker Hub) starting a
// container, waiting for its log message, exec, copying a file in and out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { apiRequest, startService } from '../helpers/api-service.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, canRunContainers, storeWithBusybox, strataOk } from './containers-fixture.ts';

const skip = canRunContainers() ? false : 'containers need root and runc';
const root = skip ? '' : storeWithBusybox();
const service = skip ? undefined : await startService({ root });
const sock = service?.socket ?? '';

/** Reads a stream until `pattern` shows, and returns what came so far. */
function waitForText(stream: Readable, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve(text);
    });
    stream.once('end', () => reject(new Error(`the stream ended before ${pattern}: ${JSON.stringify(text)}`)));
  });
}

function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

test('dockerode: create, start, wait for a log line, exec, copy in and out, stop, remove', { skip }, async () => {
  const client = new Docker({ socketPath: sock });
  const container = await client.createContainer({
    Image: BUSYBOX, name: 'sdk-dockerode', Cmd: ['sh', '-c', 'echo ready; exec sleep 60'], Labels: { from: 'dockerode' },
  });
  await container.start();
  const logs = await container.logs({ follow: true, stdout: true, stderr: true });
  const out = new PassThrough();
  const err = new PassThrough();
  client.modem.demuxStream(logs, out, err);
  assert.match(await waitForText(out, /ready\n/), /^ready\n$/);
  (logs as unknown as Readable).destroy();

  const exec = await container.exec({ Cmd: ['sh', '-c', 'echo from-exec; echo to-stderr >&2; exit 3'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const execOut = new PassThrough();
  const execErr = new PassThrough();
  client.modem.demuxStream(stream, execOut, execErr);
  const [stdout] = await Promise.all([collect(execOut), new Promise((r) => stream.once('end', () => { execOut.end(); execErr.end(); r(undefined); }))]);
  assert.equal(stdout.toString(), 'from-exec\n');
  assert.equal((await exec.inspect()).ExitCode, 3);

  // putArchive: a tar made by GNU tar lands in the container; getArchive brings it back.
  const dir = tempDir();
  mkdirSync(join(dir, 'in'));
  writeFileSync(join(dir, 'in', 'note.txt'), 'put by dockerode\n');
  const tar = execFileSync('tar', ['-C', join(dir, 'in'), '-cf', '-', 'note.txt']);
  await container.putArchive(tar, { path: '/tmp' });
  const back = await collect(await container.getArchive({ path: '/tmp/note.txt' }) as unknown as Readable);
  writeFileSync(join(dir, 'back.tar'), back);
  execFileSync('tar', ['-C', dir, '-xf', join(dir, 'back.tar')]);
  assert.equal(readFileSync(join(dir, 'note.txt'), 'utf8'), 'put by dockerode\n');
  // HEAD: docker's path stat, base64 JSON in a header (what `docker cp` reads first).
  const head = await apiRequest(sock, 'HEAD', `/v1.50/containers/${container.id}/archive?path=/tmp/note.txt`);
  const stat = JSON.parse(Buffer.from(head.headers['x-docker-container-path-stat'] as string, 'base64').toString()) as Record<string, unknown>;
  assert.deepEqual([head.status, stat['name'], stat['size'], stat['mode'], stat['linkTarget']], [200, 'note.txt', 17, 0o644, '']);

  const listed = await client.listContainers({ filters: { label: ['from=dockerode'] } });
  assert.deepEqual(listed.map((c) => [c.Names, c.State, c.Image]), [[['/sdk-dockerode'], 'running', BUSYBOX]]);
  await container.stop({ t: 1 });
  assert.equal((await container.inspect()).State.ExitCode, 137);
  await container.remove();
  assert.equal(strataOk(root, ['ps', '-aq']), '');
  await assert.rejects(container.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('testcontainers: start busybox, wait for its log message, exec, copy a file in and out', { skip }, async () => {
  process.env['DOCKER_HOST'] = `unix://${sock}`;
  process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
  // Where /.dockerenv exists (a test machine that is itself a container), testcontainers
  // would look for the bridge network's gateway; strata's containers are reached on the host.
  process.env['TESTCONTAINERS_HOST_OVERRIDE'] = 'localhost';
  const { GenericContainer, Wait } = await import('testcontainers');
  const dir = tempDir();
  writeFileSync(join(dir, 'config.txt'), 'copied by testcontainers\n');
  const started = await new GenericContainer(BUSYBOX)
    .withCommand(['sh', '-c', 'echo "server is up"; exec sleep 60'])
    .withWaitStrategy(Wait.forLogMessage('server is up'))
    .withCopyFilesToContainer([{ source: join(dir, 'config.txt'), target: '/etc/config.txt' }])
    .start();
  try {
    const result = await started.exec(['cat', '/etc/config.txt']);
    assert.deepEqual([result.exitCode, result.output], [0, 'copied by testcontainers\n']);
    await started.copyContentToContainer([{ content: 'late content\n', target: '/tmp/late.txt' }]);
    const archive = await collect(await started.copyArchiveFromContainer('/tmp/late.txt') as unknown as Readable);
    writeFileSync(join(dir, 'late.tar'), archive);
    assert.equal(execFileSync('tar', ['-xOf', join(dir, 'late.tar'), 'late.txt'], { encoding: 'utf8' }), 'late content\n');
  } finally {
    await started.stop();
  }
  assert.equal(strataOk(root, ['ps', '-aq']), '');
});
