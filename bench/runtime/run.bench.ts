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
    const samples = new Map<string, number[]>();
    const record = (key: string, value: number): void => { samples.set(key, [...(samples.get(key) ?? []), value]); };
    const med = (key: string): string => fmt(median(samples.get(key) ?? []));

    const raw = join(dir, 'raw');
    createBundle({ bundleDir: raw, rootfs, image: { Cmd: ['true'] }, options: { id: 'raw' }, host });
    const launcher = join(dir, 'launch.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, '../../test/e2e/runtime/launch.ts')], bundle: true, platform: 'node', format: 'esm',
      target: 'node20', outfile: launcher, logLevel: 'warning',
    });
    const docker = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
    const tag = 'strata-bench/busybox:1';
    if (docker && spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status !== 0) {
      const tar = join(dir, 'rootfs.tar');
      execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
      execFileSync('docker', ['import', tar, tag], { stdio: 'ignore' });
    }

    const timed = (key: string, run: () => void): void => {
      const t0 = process.hrtime.bigint();
      run();
      record(key, ms(t0));
    };
    // One round runs every contestant once, so the machine's other load falls on all alike.
    for (let round = 0; round <= RUNS; round++) {
      const warm = round === 0;
      const keep = (key: string, v: number): void => { if (!warm) record(key, v); };
      // 1. raw runc: one `run`, and create/start/delete apart
      let t0 = process.hrtime.bigint();
      sh(runtime.binary, ['--root', runtime.root, 'run', `r${round}`], { cwd: raw });
      keep('runc run', ms(t0));
      const pid = `p${round}`;
      t0 = process.hrtime.bigint();
      sh(runtime.binary, ['--root', runtime.root, 'create', pid], { cwd: raw });
      keep('create', ms(t0));
      t0 = process.hrtime.bigint();
      sh(runtime.binary, ['--root', runtime.root, 'start', pid]);
      keep('start', ms(t0));
      while ((await runtime.state(pid))?.status !== 'stopped') await new Promise((r) => setTimeout(r, 2));
      t0 = process.hrtime.bigint();
      sh(runtime.binary, ['--root', runtime.root, 'delete', pid]);
      keep('delete', ms(t0));

      // 2. strata's runtime API in this process
      const id = randomBytes(32).toString('hex');
      const cdir = join(dir, 'c', id);
      mkdirSync(cdir, { recursive: true });
      const a0 = process.hrtime.bigint();
      const b = createBundle({ bundleDir: cdir, rootfs, image: { Cmd: ['true'] }, options: { id }, host });
      const a1 = process.hrtime.bigint();
      const c = await startContainer({ runtime, id, bundleDir: cdir, containerDir: cdir, shim, stdio: ['ignore', 'ignore', 'ignore'], oomFile: oomCounterFile(host, b.spec.linux.cgroupsPath as string) });
      const a2 = process.hrtime.bigint();
      await c.wait();
      const a3 = process.hrtime.bigint();
      // the shim deletes runc's state after reporting the exit
      while (spawnSync('kill', ['-0', String(c.shimPid)]).status === 0) await new Promise((r) => setTimeout(r, 1));
      const a4 = process.hrtime.bigint();
      keep('api bundle', Number(a1 - a0) / 1e6);
      keep('api started', Number(a2 - a1) / 1e6);
      keep('api exited', Number(a3 - a2) / 1e6);
      keep('api deleted', Number(a4 - a3) / 1e6);
      keep('api total', Number(a3 - a0) / 1e6);

      // 3. whole node processes, bundled as dist/ is (no tsx)
      if (!warm) timed('node -e 0', () => sh(process.execPath, ['-e', '0']));
      const lid = randomBytes(32).toString('hex');
      const ldir = join(dir, 'l', lid);
      mkdirSync(ldir, { recursive: true });
      const args = JSON.stringify({ id: lid, rootfs, containerDir: ldir, runtimeRoot: runtime.root, shim, options: { command: ['true'] } });
      if (!warm) timed('node process', () => sh(process.execPath, [launcher, args]));
      else sh(process.execPath, [launcher, args]);

      // 4. docker, when a daemon answers
      if (docker) {
        if (!warm) timed('docker', () => sh('docker', ['run', '--rm', '--network', 'none', tag, 'true']));
        else sh('docker', ['run', '--rm', '--network', 'none', tag, 'true']);
      }
    }
    rows.push(['runc run (one process; the machine limit)', med('runc run')]);
    rows.push(['  runc create / start / delete', `${med('create')} / ${med('start')} / ${med('delete')}`]);
    rows.push(['strata runtime API, in-process (bundle → exit reported)', med('api total')]);
    rows.push(['  bundle: spec + config.json + /etc files', med('api bundle')]);
    rows.push(['  supervisor + runc run -d until "started"', med('api started')]);
    rows.push(['  until the exit is reported', med('api exited')]);
    rows.push(['  runc delete, after the report (off the critical path)', med('api deleted')]);
    rows.push(['node -e 0', med('node -e 0')]);
    rows.push(['node process: bundle + supervised run of true (≈ strata run --rm)', med('node process')]);
    rows.push(['docker run --rm --network none IMAGE true', docker ? med('docker') : 'not measured: no docker daemon runs (docs/ENVIRONMENT.md says how to start one)']);

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
