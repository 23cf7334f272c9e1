// Invariant 4, one durable step at a time: each command runs once with STRATA_CRASH_TRACE to
// list its durable steps, then once per step on a fresh copy of one prepared store with
// STRATA_CRASH_AT=any:<i>, so that it kills itself (SIGKILL) right after step i. After each
// kill: `system check` names only leftovers, `--repair` leaves a clean store (no directory
// that no record names), no blob is partial, every image inspects and saves, index.json names
// only stored blobs, nothing stays mounted or running, and the same command then succeeds.
// docs/DURABILITY.md lists the points.
//
// CI runs every step of load, build, rmi and run --rm and every fourth step of the others;
// STRATA_LONG_TESTS=1 runs every step of every command.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { tempDir } from '../helpers/temp-dir.ts';
import { strataOk } from '../helpers/strata-cli.ts';
import { checkOfAsync, quiet, runCli, runCliAsync } from '../helpers/crash-run.ts';
import { busyboxLayer, tarOf, writeLayeredArchive } from '../helpers/layered-archive.ts';
import { startRegistry, type RegistryServer } from '../helpers/registry-server.ts';
import { busyboxTree, canRunContainers, mountsUnder } from './containers-fixture.ts';

const LONG = process.env['STRATA_LONG_TESTS'] === '1';
/** Cases run at once: a case mostly waits (for fsync, for process start-up). */
const CASES_AT_ONCE = 3;
/** In CI, the commands not killed after every step are killed after every SAMPLE_EVERY-th. */
const SAMPLE_EVERY = 4;
const BASE = 'ctest/busybox:1';

interface Fixture {
  /** The prepared store every case starts from a copy of. */
  template: string;
  /** Scratch space: inputs and the stores of the cases. */
  work: string;
  registry: RegistryServer;
  /** An exited container of the template (with a change in its writable layer). */
  exited: string;
  archive: string;
  rootfsTar: string;
  context: string;
  copyFile: string;
}

let fx: Fixture | undefined;
const fixture = (): Fixture => {
  if (fx === undefined) throw new Error('the prepared store was not made');
  return fx;
};

/** The commands under test: what they run on a copy of the template (`dir` is the case's own scratch directory). */
interface Command {
  name: string;
  args: (dir: string) => string[];
  /** Run before the command on the copy (not crashed). */
  prepare?: (root: string, dir: string) => void;
  /** Every step in CI too (the others: every fourth one). */
  everyStep?: boolean;
  /** When the command removes something: it is gone (a rerun after a finished removal finds nothing, as docker's does). */
  removed?: (root: string) => boolean;
  /** More to check once the killed command's processes are done (`done`: the steps it finished). */
  afterCrash?: (root: string, dir: string, done: string[]) => void;
}

const registryRef = (repo: string): string => `${fixture().registry.host}/${repo}`;
/** A repository of the case's own (its directory is `case-<n>`). */
const pushRepo = (dir: string): string => registryRef(`crash/push-${dir.split('-').at(-1) ?? ''}:1`);

const COMMANDS: Command[] = [
  { name: 'load', args: () => ['load', '-i', fixture().archive], everyStep: true },
  { name: 'import', args: () => ['import', fixture().rootfsTar, 'crash/imported:1'] },
  { name: 'pull', args: () => ['pull', registryRef('crash/pulled:1')] },
  // Each case pushes to a repository of its own, so the registry has none of it yet.
  { name: 'push', prepare: (root, dir) => { strataOk(root, ['tag', 'crash/app:1', pushRepo(dir)]); }, args: (dir) => ['push', pushRepo(dir)] },
  {
    name: 'save', args: (dir) => ['save', '-o', join(dir, 'saved.tar'), 'crash/app:1'],
    afterCrash: (_root, dir) => assert.equal(existsSync(join(dir, 'saved.tar')), false, 'a killed save left a partial saved.tar'),
  },
  { name: 'build', args: () => ['build', '-q', '-t', 'crash/built:1', fixture().context], everyStep: true },
  { name: 'commit', args: () => ['commit', fixture().exited, 'crash/committed:1'] },
  { name: 'cp', args: () => ['cp', fixture().copyFile, `${fixture().exited}:/tmp/copied.txt`] },
  { name: 'run -d', args: () => ['run', '-d', BASE, 'true'] },
  {
    name: 'run --rm', args: () => ['run', '--rm', BASE, 'true'], everyStep: true,
    // Once it started, the container is removed: by the CLI, or by its supervisor when the CLI died first.
    afterCrash: (root, _dir, done) => {
      if (done.includes('container-start')) assert.deepEqual(containerIds(root), [fixture().exited], 'the --rm container stays');
    },
  },
  { name: 'rm', args: () => ['rm', fixture().exited], removed: (root) => !containerIds(root).includes(fixture().exited) },
  { name: 'rmi', args: () => ['rmi', 'crash/loaded-rmi:1'], everyStep: true, removed: (root) => !tags(root).includes('docker.io/crash/loaded-rmi:1') },
  { name: 'image prune', args: () => ['image', 'prune', '-f'] },
  { name: 'container prune', args: () => ['container', 'prune', '-f'] },
  { name: 'volume prune', args: () => ['volume', 'prune', '-f'] },
  { name: 'system prune', args: () => ['system', 'prune', '-f'] },
  { name: 'tag', args: () => ['tag', 'crash/app:1', 'crash/tagged:1'] },
];

function query<T>(root: string, sql: string): T[] {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}
const containerIds = (root: string): string[] => query<{ id: string }>(root, 'SELECT id FROM containers').map((r) => r.id);
const imageIds = (root: string): string[] => query<{ id: string }>(root, 'SELECT id FROM images').map((r) => r.id);
const tags = (root: string): string[] => query<{ name: string }>(root, 'SELECT name FROM tags').map((r) => r.name);

/** Directories of snapshots, containers and volumes that no record names, and snapshots/trash/ entries. */
function unnamedDirs(root: string): string[] {
  const unnamed = (home: string, names: string[]): string[] => {
    const known = new Set(names);
    return existsSync(join(root, home)) ? readdirSync(join(root, home)).filter((d) => !known.has(d)).map((d) => `${home}/${d}`) : [];
  };
  return [
    ...unnamed('snapshots/overlay', query<{ dir: string }>(root, 'SELECT dir FROM snapshots').map((r) => r.dir)),
    ...unnamed('snapshots/trash', []),
    ...unnamed('containers', containerIds(root)),
    ...unnamed('volumes', query<{ name: string }>(root, 'SELECT name FROM volumes').map((r) => r.name)),
  ];
}

/** Containers runc still knows in the store (its state is deleted once a container's supervisor saw it exit). */
function runcContainers(root: string): string[] {
  const dir = join(root, 'runtime', 'runc');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function sha256File(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

/** Blobs whose content does not hash to their name. */
function partialBlobs(root: string): string[] {
  const dir = join(root, 'content', 'blobs', 'sha256');
  return readdirSync(dir).filter((hex) => sha256File(join(dir, hex)) !== `sha256:${hex}`);
}

/** What index.json names that is not stored: every manifest it lists, with its config and layers, must be a blob. */
function indexProblems(root: string): string[] {
  const blob = (digest: string): string => join(root, 'content', 'blobs', 'sha256', digest.slice('sha256:'.length));
  const index = JSON.parse(readFileSync(join(root, 'content', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const problems: string[] = [];
  for (const m of index.manifests) {
    if (!existsSync(blob(m.digest))) {
      problems.push(`index.json names manifest ${m.digest}, which is not stored`);
      continue;
    }
    const manifest = JSON.parse(readFileSync(blob(m.digest), 'utf8')) as { config?: { digest: string }; layers?: { digest: string }[] };
    for (const d of [manifest.config, ...(manifest.layers ?? [])]) {
      if (d !== undefined && !existsSync(blob(d.digest))) problems.push(`index.json names manifest ${m.digest}, whose blob ${d.digest} is not stored`);
    }
  }
  return problems;
}

/**
 * Leaves nothing behind a store: what stays mounted under it (a defect the checks report)
 * unmounted, the containers runc still knows killed, then its files removed.
 */
function discard(root: string, dir = root): void {
  for (const point of mountsUnder(root).reverse()) spawnSync('umount', ['-l', point]);
  for (const id of runcContainers(root)) spawnSync('runc', ['--root', join(root, 'runtime', 'runc'), 'delete', '--force', id]);
  rmSync(dir, { recursive: true, force: true });
}

let caseNumber = 0;

/** A fresh copy of the template, in a scratch directory of its own. */
function freshCase(): { root: string; dir: string } {
  const dir = join(fixture().work, `case-${++caseNumber}`);
  mkdirSync(dir);
  const root = join(dir, 'store');
  const r = spawnSync('cp', ['-a', fixture().template, root]);
  assert.equal(r.status, 0, r.stderr?.toString());
  return { root, dir };
}

/** The durable steps of `command`, from a run with the trace on. */
async function stepsOf(command: Command): Promise<string[]> {
  const { root, dir } = freshCase();
  try {
    command.prepare?.(root, dir);
    const trace = join(dir, 'trace');
    const r = runCli(root, command.args(dir), { STRATA_CRASH_TRACE: trace });
    assert.equal(r.status, 0, `${command.name} failed without a crash: ${r.stderr}`);
    await quiet(root);
    return existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  } finally {
    discard(root, dir);
  }
}

/** Kills `command` after its `step`-th durable step and checks what it left. */
async function crashAt(command: Command, steps: string[], step: number): Promise<void> {
  const { root, dir } = freshCase();
  try {
    command.prepare?.(root, dir);
    const args = command.args(dir);
    const crashed = await runCliAsync(root, args, { STRATA_CRASH_AT: `any:${step}` });
    assert.equal(crashed.signal, 'SIGKILL', `it did not die by SIGKILL (exit ${crashed.status}): ${crashed.stderr}`);
    // A container's supervisor (and its exit hook) may still be at work.
    await quiet(root);
    assert.deepEqual(partialBlobs(root), [], 'a blob does not hash to its name');
    command.afterCrash?.(root, dir, steps.slice(0, step));

    const found = await checkOfAsync(root);
    assert.ok(found.status === 0 || found.status === 1, `system check exited ${found.status}: ${found.stdout}`);
    assert.deepEqual(found.lines.filter((l) => !l.startsWith('leftover: ')), [], 'system check found more than leftovers');
    const repaired = await checkOfAsync(root, true);
    assert.equal(repaired.status, 0, `system check --repair left: ${repaired.stdout}`);
    assert.deepEqual(indexProblems(root), []);
    assert.deepEqual(mountsUnder(root), [], 'mounts are left after the repair');
    assert.deepEqual(runcContainers(root), [], 'a container runs on');
    assert.deepEqual(unnamedDirs(root), [], 'directories no record names stay after the repair (check did not name them)');
    const ids = imageIds(root);
    const inspected = await runCliAsync(root, ['image', 'inspect', ...ids]);
    assert.equal(inspected.status, 0, `image inspect: ${inspected.stderr}`);
    const saved = await runCliAsync(root, ['save', '-o', join(dir, 'all.tar'), ...ids]);
    assert.equal(saved.status, 0, `save of every image: ${saved.stderr}`);

    const again = await runCliAsync(root, args);
    if (again.status !== 0) {
      assert.ok(command.removed?.(root) === true && /No such (container|image)/.test(again.stderr), `run again, it failed (exit ${again.status}): ${again.stderr}`);
    }
    await quiet(root);
    if (LONG) {
      const final = await checkOfAsync(root);
      assert.equal(final.status, 0, `system check after the second run: ${final.stdout}`);
    }
    assert.deepEqual(mountsUnder(root), [], 'the second run left mounts');
  } finally {
    discard(root, dir);
  }
}

/** The steps a run covers: all of them, or in CI every SAMPLE_EVERY-th from the first, and the last. */
function chosenSteps(count: number, every: boolean): number[] {
  const all = Array.from({ length: count }, (_, i) => i + 1);
  return every ? all : all.filter((i) => (i - 1) % SAMPLE_EVERY === 0 || i === count);
}

const covered: { runs: number; of: number }[] = [];

/** The template store and the commands' inputs. */
async function prepare(): Promise<Fixture> {
  const work = tempDir('strata-crash-points-');
  const template = join(work, 'template');
  // The base image: Debian's static busybox, imported.
  const tree = busyboxTree(join(work, 'base'));
  mkdirSync(join(tree, 'tmp'), { recursive: true });
  const baseTar = join(work, 'base.tar');
  spawnSync('tar', ['-C', tree, '-cf', baseTar, '.']);
  strataOk(template, ['import', '-c', 'CMD ["/bin/sh"]', baseTar, BASE]);
  // A built image (COPY, RUN), built twice so that the first one is dangling; the build cache holds both.
  const appContext = join(work, 'app');
  mkdirSync(appContext);
  writeFileSync(join(appContext, 'Dockerfile'), `FROM ${BASE}\nCOPY a.txt /a.txt\nRUN echo built > /b.txt\n`);
  writeFileSync(join(appContext, 'a.txt'), 'one\n');
  strataOk(template, ['build', '-q', '-t', 'crash/app:1', appContext]);
  writeFileSync(join(appContext, 'a.txt'), 'two\n');
  strataOk(template, ['build', '-q', '-t', 'crash/app:1', appContext]);
  // A loaded image nothing else shares: rmi removes its layers, blobs and snapshots.
  const rmiArchive = join(work, 'rmi.tar');
  await writeLayeredArchive(rmiArchive, [[{ name: 'r1.txt', type: 'file', body: Buffer.from('rmi one\n') }], [{ name: 'r2.txt', type: 'file', body: Buffer.from('rmi two\n') }]], 'crash/loaded-rmi:1');
  strataOk(template, ['load', '-i', rmiArchive]);
  // An exited container with a change, and an anonymous volume no container uses.
  strataOk(template, ['run', BASE, 'sh', '-c', 'echo changed > /changed']);
  const exited = strataOk(template, ['ps', '-alq', '--no-trunc']).trim();
  const withVolume = strataOk(template, ['run', '-d', '-v', '/data', BASE, 'true']).trim();
  await quiet(template);
  strataOk(template, ['rm', withVolume]);
  assert.equal(strataOk(template, ['volume', 'ls', '-q']).trim().split('\n').length, 1, 'the anonymous volume stays');

  // Inputs of the commands.
  const archive = join(work, 'load.tar');
  await writeLayeredArchive(archive, [busyboxLayer(), [{ name: 'loaded.txt', type: 'file', body: Buffer.from('loaded\n') }]], 'crash/loaded:1');
  const rootfsTar = join(work, 'import.tar');
  writeFileSync(rootfsTar, await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/imported', type: 'file', body: Buffer.from('imported\n') }]));
  const context = join(work, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), `FROM ${BASE}\nCOPY c.txt /c.txt\nRUN echo run > /r.txt\nCMD ["cat", "/c.txt"]\n`);
  writeFileSync(join(context, 'c.txt'), 'context\n');
  const copyFile = join(work, 'copied.txt');
  copyFileSync(join(context, 'c.txt'), copyFile);

  // The registry holds an image of two layers (pushed from a store of its own) for pull.
  const registry = await startRegistry();
  const side = join(work, 'side');
  const sideArchive = join(work, 'side.tar');
  await writeLayeredArchive(sideArchive, [busyboxLayer(), [{ name: 'pulled.txt', type: 'file', body: Buffer.from('pulled\n') }]], `${registry.host}/crash/pulled:1`);
  strataOk(side, ['load', '-i', sideArchive]);
  strataOk(side, ['push', `${registry.host}/crash/pulled:1`]);
  rmSync(side, { recursive: true, force: true });

  assert.match(strataOk(template, ['system', 'check']), /: OK\n$/);
  return { template, work, registry, exited, archive, rootfsTar, context, copyFile };
}

if (canRunContainers()) fx = await prepare();

after(() => {
  if (fx !== undefined) discard(fx.template);
  const [runs, of] = covered.reduce(([r, o], c) => [r + c.runs, o + c.of], [0, 0]);
  if (covered.length > 0) console.log(`crash points: ${runs} of ${of} killed and checked (${LONG ? 'every step' : 'the CI sample'}) in ${covered.length} commands`);
});

for (const command of COMMANDS) {
  test(`killed after each durable step, ${command.name} leaves a store that check and repair make whole, and runs again`, { timeout: 600_000 }, async (t) => {
    if (!canRunContainers()) {
      t.skip('needs root and runc to run containers');
      return;
    }
    const steps = await stepsOf(command);
    const chosen = chosenSteps(steps.length, LONG || command.everyStep === true);
    const failures: string[] = [];
    // CASES_AT_ONCE cases at a time, each on its own store.
    const queue = [...chosen];
    const worker = async (): Promise<void> => {
      for (let step = queue.shift(); step !== undefined; step = queue.shift()) {
        try {
          await crashAt(command, steps, step);
        } catch (err) {
          failures.push(`after step ${step} (${steps[step - 1]}): ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CASES_AT_ONCE }, worker));
    failures.sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]));
    const summary = `${command.name}: ${chosen.length} of ${steps.length} crash points (${[...new Set(steps)].join(', ') || 'no durable step'})`;
    covered.push({ runs: chosen.length, of: steps.length });
    t.diagnostic(summary);
    assert.deepEqual(failures, [], `${command.name} killed after ${failures.length} of its steps left a store that is not right`);
  });
}
