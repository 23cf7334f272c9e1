// `run --rm IMAGE true` cost, from the bottom up: raw runc (create/start/delete and `run`),
// strata's runtime API in-process with a breakdown (bundle + spec, supervisor start through
// `runc run -d`, exit reported, runtime state deleted), a whole node process doing what
// `strata run --rm` does in the runtime (bundled like dist/, no tsx), and docker's
// `run --rm` when a daemon is up. Then the memory of a detached container's supervisor.
//
//   node --import tsx bench/runtime/run.bench.ts        (RUNS=20 by default)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createBundle } from '../../src/runtime/bundle.ts';
import { probeHost } from '../../src/runtime/host-info.ts';
import { OciRuntime } from '../../src/runtime/runc.ts';
import { ensureShim } from '../../src/runtime/shim-path.ts';
import { oomCounterFile, startContainer } from '../../src/runtime/supervisor.ts';
import { makeRootfs } from '../../test/e2e/runtime/fixture.ts';

const RUNS = Number(process.env['RUNS'] ?? 20);

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (v: number): string => `${v.toFixed(1)} ms`;

function timeSync(run: () => void): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(ms(t0));
  }
  return median(samples);
}

/** Runs a command to completion; its stdio go nowhere (a created container would hold a pipe open). */
function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): void {
  const r = spawnSync(cmd, args, { stdio: 'ignore', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-runtime-'));
  const host = probeHost();
  try {
    const rootfs = makeRootfs(dir);
    const runtime = OciRuntime.locate({ root: join(dir, 'runc') });
    const shim = ensureShim(join(tmpdir(), 'strata-test-shim'), { fromSource: true });
    const rows: Array<[string, string]> = [];

    // 1. raw runc, one prepared bundle
    const raw = join(dir, 'raw');
    createBundle({ bundleDir: raw, rootfs, image: { Cmd: ['true'] }, options: { id: 'raw' }, host });
    let n = 0;
    rows.push(['runc run (one process; the machine limit)', fmt(timeSync(() => sh(runtime.binary, ['--root', runtime.root, 'run', `r${n++}`], { cwd: raw })))]);
    const phases = { create: [] as number[], start: [] as number[], delete: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      const id = `p${i}`;
      let t0 = process.hrtime.bigint();
      sh(runtime.binary, ['--root', runtime.root, 'create', id], { cwd: raw });
      phases.create.push(ms(t0));
      t0 = process.hrtime.bigint();
      sh(runtime.binary, ['--root', runtime.root, 'start', id]);
      phases.start.push(ms(t0));
      while ((await runtime.state(id))?.status !== 'stopped') await new Promise((r) => setTimeout(r, 2));
      t0 = process.hrtime.bigint();
      sh(runtime.binary, ['--root', runtime.root, 'delete', id]);
      phases.delete.push(ms(t0));
    }
    rows.push(['  runc create / start / delete', `${fmt(median(phases.create))} / ${fmt(median(phases.start))} / ${fmt(median(phases.delete))}`]);

    // 2. strata's runtime API in this process
    const parts = { bundle: [] as number[], started: [] as number[], exited: [] as number[], deleted: [] as number[], total: [] as number[] };
    for (let i = 0; i <= RUNS; i++) {
      const id = randomBytes(32).toString('hex');
      const cdir = join(dir, 'c', id);
      mkdirSync(cdir, { recursive: true });
      const t0 = process.hrtime.bigint();
      const b = createBundle({ bundleDir: cdir, rootfs, image: { Cmd: ['true'] }, options: { id }, host });
      const t1 = process.hrtime.bigint();
      const c = await startContainer({ runtime, id, bundleDir: cdir, containerDir: cdir, shim, stdio: ['ignore', 'ignore', 'ignore'], oomFile: oomCounterFile(host, b.spec.linux.cgroupsPath as string) });
      const t2 = process.hrtime.bigint();
      await c.wait();
      const t3 = process.hrtime.bigint();
      // the shim deletes runc's state after reporting the exit
      while (spawnSync('kill', ['-0', String(c.shimPid)]).status === 0) await new Promise((r) => setTimeout(r, 1));
      const t4 = process.hrtime.bigint();
      if (i === 0) continue; // warm-up
      parts.bundle.push(Number(t1 - t0) / 1e6);
      parts.started.push(Number(t2 - t1) / 1e6);
      parts.exited.push(Number(t3 - t2) / 1e6);
      parts.deleted.push(Number(t4 - t3) / 1e6);
      parts.total.push(Number(t3 - t0) / 1e6);
    }
    rows.push(['strata runtime API, in-process (bundle → exit reported)', fmt(median(parts.total))]);
    rows.push(['  bundle: spec + config.json + /etc files', fmt(median(parts.bundle))]);
    rows.push(['  supervisor + runc run -d until "started"', fmt(median(parts.started))]);
    rows.push(['  until the exit is reported', fmt(median(parts.exited))]);
    rows.push(['  runc delete, after the report (off the critical path)', fmt(median(parts.deleted))]);

    // 3. a whole node process, bundled as dist/ is (no tsx)
    const launcher = join(dir, 'launch.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, '../../test/e2e/runtime/launch.ts')], bundle: true, platform: 'node', format: 'esm',
      target: 'node20', outfile: launcher, logLevel: 'warning',
    });
    const launchArgs = (): string => {
      const id = randomBytes(32).toString('hex');
      const cdir = join(dir, 'l', id);
      mkdirSync(cdir, { recursive: true });
      return JSON.stringify({ id, rootfs, containerDir: cdir, runtimeRoot: runtime.root, shim, options: { command: ['true'] } });
    };
    rows.push(['node -e 0', fmt(timeSync(() => sh(process.execPath, ['-e', '0'])))]);
    rows.push(['node process: bundle + supervised run of true (≈ strata run --rm)', fmt(timeSync(() => sh(process.execPath, [launcher, launchArgs()])))]);

    // 4. docker, when a daemon answers
    if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) {
      const tag = 'strata-bench/busybox:1';
      if (spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status !== 0) {
        const tar = join(dir, 'rootfs.tar');
        execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
        execFileSync('docker', ['import', tar, tag], { stdio: 'ignore' });
      }
      rows.push(['docker run --rm IMAGE true', fmt(timeSync(() => sh('docker', ['run', '--rm', '--network', 'none', tag, 'true'])))]);
    } else {
      rows.push(['docker run --rm IMAGE true', 'no daemon (ENVIRONMENT.md figure: 150 ms)']);
    }

    // 5. supervisor memory
    const id = randomBytes(32).toString('hex');
    const cdir = join(dir, 'mem', id);
    mkdirSync(cdir, { recursive: true });
    createBundle({ bundleDir: cdir, rootfs, image: { Cmd: ['sh'] }, options: { id, command: ['sh', '-c', 'while true; do echo tick; sleep 0.05; done'] }, host });
    const c = await startContainer({ runtime, id, bundleDir: cdir, containerDir: cdir, shim, detach: true });
    await new Promise((r) => setTimeout(r, 1500));
    rows.push(['supervisor RSS (detached, logging 20 lines/s)', `${rssKb(c.shimPid)} kB`]);
    const node = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    rows.push(['  for comparison: an idle node process', `${rssKb(node.pid as number)} kB`]);
    node.kill();
    const fg = spawn(runtime.binary, ['--root', runtime.root, 'run', 'rss-probe'], { cwd: (() => {
      const d = join(dir, 'rss');
      createBundle({ bundleDir: d, rootfs, image: { Cmd: ['sleep', '5'] }, options: { id: 'rss' }, host });
      return d;
    })(), stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 800));
    rows.push(['  and runc run kept as the parent (what the shim avoids)', `${rssKb(fg.pid as number)} kB`]);
    await runtime.kill('rss-probe', 'KILL').catch(() => undefined);
    await runtime.kill(id, 'KILL');

    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`runtime benchmark, median of ${RUNS} runs (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`);
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
    writeFileSync(join(dir, 'done'), '');
  } finally {
    await new Promise((r) => setTimeout(r, 300));
    spawnSync('runc', ['--root', join(dir, 'runc'), 'list', '-q'], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean)
      .forEach((id) => spawnSync('runc', ['--root', join(dir, 'runc'), 'delete', '-f', id]));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
