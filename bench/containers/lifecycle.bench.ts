// Containers at work, beside docker: 20 containers started with `run -d` then removed with
// one `rm -f`, `exec` latency, `commit` of a 100 MB change, and the memory a detached
// container costs (strata's supervisor against docker's containerd-shim).
//
//   node --import tsx bench/containers/lifecycle.bench.ts     (RUNS=10 exec rounds by default)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusybox } from '../bench-helpers.ts';
import { STRATA_BIN } from '../../test/helpers/strata-cli.ts';

const RUNS = Number(process.env['RUNS'] ?? 10);
const IMAGE = 'strata-bench/busybox:1';
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

const dir = mkdtempSync(join(tmpdir(), 'strata-bench-lifecycle-'));
const rows: Array<[string, string, string]> = [['work', 'strata', 'docker']];
try {
  const env = { ...process.env, STRATA_ROOT: join(dir, 'store') };
  const { docker } = importBusybox(dir, env, IMAGE);
  const engines: Array<[string, string, NodeJS.ProcessEnv, string[]]> = [['strata', STRATA_BIN, env, []]];
  if (docker) engines.push(['docker', 'docker', process.env, ['--network', 'none']]);
  const result = new Map<string, Map<string, string>>();
  const put = (work: string, engine: string, value: string): void => {
    result.set(work, (result.get(work) ?? new Map()).set(engine, value));
  };

  for (const [name, bin, e, extra] of engines) {
    // 20 detached containers, then one rm -f of them all.
    const t0 = process.hrtime.bigint();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(run(bin, ['run', '-d', ...extra, IMAGE, 'sleep', '300'], e).stdout.trim());
    const started = Number(process.hrtime.bigint() - t0) / 1e6;
    put('20 × run -d (sequential)', name, `${(started / 1000).toFixed(2)} s (${(started / 20).toFixed(0)} ms each)`);
    // Memory of one detached container's supervisor.
    const pid = Number(run(bin, ['inspect', '-f', '{{.State.Pid}}', ids[0] as string], e).stdout.trim());
    const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
    put('supervisor RSS (parent of the container\'s init)', name, `${rssKb(parent)} kB (${readFileSync(`/proc/${parent}/comm`, 'utf8').trim()})`);
    // exec latency on a running container.
    const samples: number[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(run(bin, ['exec', ids[0] as string, 'true'], e).ms);
    put('exec CONTAINER true (median)', name, `${median(samples).toFixed(0)} ms`);
    const r = run(bin, ['rm', '-f', ...ids], e);
    put('rm -f of the 20', name, `${(r.ms / 1000).toFixed(2)} s`);

    // commit of a 100 MB change.
    const c = run(bin, ['run', '-d', ...extra, IMAGE, 'sh', '-c', 'head -c 100000000 /dev/urandom > /big && sleep 300'], e).stdout.trim();
    for (let i = 0; i < 600; i++) {
      const size = spawnSync(bin, ['exec', c, 'sh', '-c', 'stat -c %s /big 2>/dev/null'], { env: e, encoding: 'utf8' }).stdout.trim();
      if (size === '100000000') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const commit = run(bin, ['commit', c, `strata-bench/commit-${name}:1`], e);
    put('commit of a 100 MB change (running, paused)', name, `${(commit.ms / 1000).toFixed(2)} s`);
    run(bin, ['rm', '-f', c], e);
    run(bin, ['rmi', `strata-bench/commit-${name}:1`], e);
  }
  for (const [work, byEngine] of result) rows.push([work, byEngine.get('strata') ?? '', byEngine.get('docker') ?? (docker ? '' : 'no daemon')]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  process.stdout.write(`containers at work (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n\n`);
  for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}\n`);
} finally {
  spawnSync(STRATA_BIN, ['container', 'prune', '-f'], { env: { ...process.env, STRATA_ROOT: join(dir, 'store') }, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
