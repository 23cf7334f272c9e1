// build's RUN steps on the default bridge (`--network default` or `bridge`, and the Engine
// API's `networkmode=default`, which docker's CLI sends): the step has an eth0 with an address
// in the bridge's subnet and the bridge's gateway as its default route (no traffic leaves the
// host: the step only reads its own interfaces and routes); `--network none` has only lo; a
// build killed with -9 during such a step leaves its network to `system check --repair` or
// the next build, which give the host's ruleset, links and addresses back as they were.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { apiRequest, docker, dockerOk, NO_DOCKER_CLI, startService } from '../helpers/api-service.ts';
import { context, buildOk, buildPlain } from './build-fixture.ts';
import { eventually, mountsUnder, STRATA_BIN, strata, strataOk } from './containers-fixture.ts';
import { canRunNetworks, hostNetwork, networkStore, WEB } from './network-fixture.ts';

const skip = canRunNetworks() ? false : 'needs root, runc, netavark and nft (scripts/setup.sh --test installs them)';

const SUBNET = /^\d+: eth0 +inet 10\.218\.0\.\d+\/24 /m;
const ROUTE = /^default via 10\.218\.0\.1 dev eth0/m;

const INTERFACES = `FROM ${WEB}
RUN ls /sys/class/net > /links && ip -o -4 addr show > /addresses && ip route > /routes && readlink /proc/self/ns/net > /netns
`;

function built(root: string, tag: string, file: string): string {
  return strataOk(root, ['run', '--rm', '--network', 'none', tag, 'cat', file]);
}

function links(root: string, tag: string): string[] {
  return built(root, tag, '/links').split('\n').filter(Boolean).sort();
}

/** Namespaces under the store (a step's is there while it runs). */
function namespaces(root: string): string[] {
  return existsSync(join(root, 'netns')) ? readdirSync(join(root, 'netns')) : [];
}

/** Host-wide address leases held for directories of this store. */
function leasesOf(root: string): string[] {
  const file = '/run/strata/leases.db';
  if (!existsSync(file)) return [];
  const db = new Sqlite(file, { readonly: true });
  try {
    return (db.prepare('SELECT holder FROM addresses').pluck().all() as string[]).filter((h) => h.startsWith(`${root}/`));
  } finally {
    db.close();
  }
}

/** Starts a build whose RUN on the default bridge sleeps; resolves once the step runs, with its process. */
async function buildInRun(root: string, tag: string): Promise<{ pid: number; exited: Promise<unknown>; kill: () => void }> {
  const ctx = context(`FROM ${WEB}\nRUN echo step-$((40 + 2)) && sleep 1000\n`);
  const child = spawn(STRATA_BIN, ['build', '--progress=plain', '--network', 'default', '-t', tag, ctx], { env: { ...process.env, STRATA_ROOT: root }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const before = namespaces(root).length;
  try {
    await eventually(() => (/step-42/.test(err) && namespaces(root).length > before ? true : undefined), 60_000, 'the RUN step to run on the bridge');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { pid: child.pid!, exited, kill: () => child.kill('SIGKILL') };
}

/** Waits until the killed build's step container is gone (its supervisor kills it with the build). */
async function stepGone(root: string): Promise<void> {
  const state = join(root, 'runtime', 'runc');
  const steps = (): string[] => (existsSync(state) ? readdirSync(state).filter((id) => id.startsWith('build-')) : []);
  await eventually(() => (steps().length === 0 ? true : undefined), 30_000, 'the step container to die with its build');
}

/** A build killed with -9 while its RUN step runs on the bridge (`whileRunning` looks first), its step dead too. */
async function killedInRun(root: string, tag: string, whileRunning: () => void = () => undefined): Promise<{ pid: number }> {
  const build = await buildInRun(root, tag);
  try {
    whileRunning();
    build.kill();
    await build.exited;
    await stepGone(root);
  } finally {
    build.kill();
  }
  return build;
}

describe('build RUN steps on the default network', { skip }, () => {
  const root = skip ? '' : networkStore({ bip: '10.218.0.1/24', bridge: 'strbuild0' });

  test('build --network default: the RUN step has eth0 on the default bridge, its gateway the default route', () => {
    buildOk(root, ['--network', 'default', '-t', 'nbuild/default:1', context(INTERFACES)]);
    assert.deepEqual(links(root, 'nbuild/default:1'), ['eth0', 'lo']);
    assert.match(built(root, 'nbuild/default:1', '/addresses'), SUBNET);
    assert.match(built(root, 'nbuild/default:1', '/routes'), ROUTE);
    assert.notEqual(built(root, 'nbuild/default:1', '/netns'), `${readlinkSync('/proc/self/ns/net')}\n`);
    // The step's namespace and address are given back.
    assert.deepEqual(namespaces(root), []);
    assert.deepEqual(leasesOf(root), []);
  });

  test('--network bridge is the same; --network none and RUN --network=none have only lo; no --network is the host\'s', () => {
    buildOk(root, ['--network', 'bridge', '--no-cache', '-t', 'nbuild/bridge:1', context(INTERFACES)]);
    assert.match(built(root, 'nbuild/bridge:1', '/routes'), ROUTE);
    buildOk(root, ['--network', 'none', '-t', 'nbuild/none:1', context(INTERFACES)]);
    assert.deepEqual(links(root, 'nbuild/none:1'), ['lo']);
    assert.equal(built(root, 'nbuild/none:1', '/routes'), '');
    buildOk(root, ['--network', 'default', '-t', 'nbuild/run-none:1', context(INTERFACES.replace('RUN ', 'RUN --network=none '))]);
    assert.deepEqual(links(root, 'nbuild/run-none:1'), ['lo']);
    buildOk(root, ['-t', 'nbuild/unflagged:1', context(INTERFACES)]);
    assert.equal(built(root, 'nbuild/unflagged:1', '/netns'), `${readlinkSync('/proc/self/ns/net')}\n`, 'the host\'s network namespace');
    assert.doesNotMatch(built(root, 'nbuild/unflagged:1', '/routes'), /10\.218\.0\./);
  });

  test('an unknown --network: docker\'s error and status, and nothing changes', () => {
    const images = ['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'];
    const before = strataOk(root, images);
    const r = buildPlain(root, ['--network', 'foo', '-t', 'nbuild/foo:1', context(INTERFACES)]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'Error: network mode "foo" not supported by strata\'s builder: use default (or bridge), host or none\n');
    assert.equal(strataOk(root, images), before);
    assert.deepEqual(namespaces(root), []);
  });

  test('kill -9 of a build in a RUN on the bridge: system check names the step\'s network, --repair gives the host\'s networking back', { timeout: 180_000 }, async () => {
    const host = hostNetwork();
    const build = await killedInRun(root, 'nbuild/killed:1', () => {
      assert.match(readFileSync('/proc/net/dev', 'utf8'), /strbuild0:/, 'the bridge is up while the step runs');
    });
    try {
      const [id] = namespaces(root);
      assert.ok(id !== undefined && id.startsWith('build-'), 'the step\'s namespace stays mounted');
      assert.notDeepEqual(hostNetwork(), host, 'the step\'s veth, bridge and rules are left');
      const found = strata(root, ['system', 'check']);
      assert.equal(found.status, 1, found.stdout);
      assert.match(found.stdout, new RegExp(`^leftover: network of build container ${id}: the build \\(process ${build.pid}\\) that made it is gone$`, 'm'));
      const repaired = strata(root, ['system', 'check', '--repair']);
      assert.equal(repaired.status, 0, repaired.stdout + repaired.stderr);
      assert.match(repaired.stdout, new RegExp(`^repaired: removed network of build container ${id}: `, 'm'));
      assert.deepEqual(namespaces(root), []);
      assert.deepEqual(mountsUnder(root), []);
      assert.deepEqual(leasesOf(root), []);
      assert.deepEqual(hostNetwork(), host, 'the ruleset, links and addresses are as before the build');
      assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
    } finally {
      // Whatever failed, nothing of the killed step outlives the test.
      strata(root, ['system', 'check', '--repair']);
    }
  });

  test('kill -9 of a build in a RUN on the bridge: the next build removes the step\'s network', { timeout: 180_000 }, async () => {
    const host = hostNetwork();
    await killedInRun(root, 'nbuild/killed:2');
    try {
      assert.equal(namespaces(root).length, 1, 'the step\'s namespace stays mounted');
      buildOk(root, ['--network', 'none', '-t', 'nbuild/after:1', context(`FROM ${WEB}\nRUN true\n`)]);
      assert.deepEqual(namespaces(root), []);
      assert.deepEqual(leasesOf(root), []);
      assert.deepEqual(hostNetwork(), host, 'the ruleset, links and addresses are as before the killed build');
    } finally {
      strata(root, ['system', 'check', '--repair']);
    }
  });

  test('Ctrl-C of a build in a RUN on the bridge: BuildKit\'s 130, and the step\'s network is torn down at once', { timeout: 180_000 }, async () => {
    const host = hostNetwork();
    const build = await buildInRun(root, 'nbuild/canceled:1');
    let status: unknown;
    try {
      process.kill(build.pid, 'SIGINT');
      status = await build.exited;
    } finally {
      build.kill();
    }
    try {
      assert.equal(status, 130);
      assert.deepEqual(namespaces(root), []);
      assert.deepEqual(leasesOf(root), []);
      assert.deepEqual(hostNetwork(), host, 'the ruleset, links and addresses are as before the build');
    } finally {
      strata(root, ['system', 'check', '--repair']);
    }
  });

  test('the Engine API\'s build: networkmode=default or bridge is the default bridge; none given (docker\'s CLI sends none for default), the host\'s', { skip: NO_DOCKER_CLI, timeout: 120_000 }, async () => {
    const { socket } = await startService({ root });
    const tar = execFileSync('tar', ['-C', context(INTERFACES), '-c', '.']);
    const r = await apiRequest(socket, 'POST', '/v1.50/build?networkmode=default&t=nbuild/api-default:1', tar, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.body);
    assert.doesNotMatch(r.body, /"error"/);
    assert.deepEqual(links(root, 'nbuild/api-default:1'), ['eth0', 'lo']);
    assert.match(built(root, 'nbuild/api-default:1', '/routes'), ROUTE);
    dockerOk(socket, ['build', '-q', '--network', 'bridge', '--no-cache', '-t', 'nbuild/api-bridge:1', context(INTERFACES)]);
    assert.match(built(root, 'nbuild/api-bridge:1', '/routes'), ROUTE);
    dockerOk(socket, ['build', '-q', '--no-cache', '-t', 'nbuild/api-host:1', context(INTERFACES)]);
    assert.equal(built(root, 'nbuild/api-host:1', '/netns'), `${readlinkSync('/proc/self/ns/net')}\n`);
    const bad = docker(socket, ['build', '-q', '--network', 'foo', context(INTERFACES)]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /network mode "foo" not supported/);
    assert.deepEqual(namespaces(root), []);
    assert.deepEqual(leasesOf(root), []);
  });
});
