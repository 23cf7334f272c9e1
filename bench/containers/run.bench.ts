// `run --rm IMAGE true` through the whole CLI, beside docker, with a breakdown of where
// strata's time goes (the STRATA_TRACE marks of src/containers/trace.ts), and the floors
// it sits on: `node -e 0`, `strata --version` (node + the CLI's entry), and `runc run`.
//
//   node --import tsx bench/containers/run.bench.ts        (RUNS=20 by default)
//
// Every round runs each contestant once, so the machine's other load falls on all alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusybox } from '../bench-helpers.ts';
import { STRATA_BIN } from '../../test/helpers/strata-cli.ts';

const RUNS = Number(process.env['RUNS'] ?? 20);
const IMAGE = 'strata-bench/busybox:1';

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const p90 = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.9)] ?? NaN;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'strata-bench-containers-'));
try {
  const root = join(dir, 'store');
  const env = { ...process.env, STRATA_ROOT: root };
  const { docker, tree } = importBusybox(dir, env, IMAGE);
  // runc run of the same rootfs, as the floor for the container part.
  const bundle = join(dir, 'bundle');
  execFileSync('mkdir', ['-p', bundle]);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; terminal: boolean }; root: { path: string } };
  spec.process.args = ['/bin/true'];
  spec.process.terminal = false;
  spec.root.path = tree;
  execFileSync('sh', ['-c', `cat > ${join(bundle, 'config.json')}`], { input: JSON.stringify(spec) });

  const samples = new Map<string, number[]>();
  const add = (k: string, v: number): void => { samples.set(k, [...(samples.get(k) ?? []), v]); };
  const phases = new Map<string, number[]>();
  for (let round = 0; round <= RUNS; round++) {
    const keep = round > 0;
    const t = (k: string, cmd: string, args: string[], e?: NodeJS.ProcessEnv): { ms: number; stderr: string } => {
      const r = timed(cmd, args, e);
      if (keep) add(k, r.ms);
      return r;
    };
    t('node -e 0', process.execPath, ['-e', '0']);
    t('strata --version', STRATA_BIN, ['--version'], env);
    t('runc run', 'runc', ['--root', join(dir, 'runc'), 'run', '--bundle', bundle, `b${round}`]);
    const r = t('strata run --rm', STRATA_BIN, ['run', '--rm', IMAGE, 'true'], { ...env, STRATA_TRACE: '1' });
    if (keep) {
      for (const m of r.stderr.matchAll(/^trace +[\d.]+ ms +\+ *([\d.]+) +(.+)$/gm)) {
        phases.set(m[2] as string, [...(phases.get(m[2] as string) ?? []), Number(m[1])]);
      }
    }
    if (docker) t('docker run --rm', 'docker', ['run', '--rm', '--network', 'none', IMAGE, 'true']);
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(`run --rm IMAGE true: median (p90) of ${RUNS} rounds, load average ${load}\n\n`);
  const rows: Array<[string, string]> = [];
  for (const [k, v] of samples) rows.push([k, `${median(v).toFixed(1)} ms (${p90(v).toFixed(1)})`]);
  if (!docker) rows.push(['docker run --rm', 'not measured: no docker daemon runs (docs/ENVIRONMENT.md says how to start one)']);
  rows.push(['', '']);
  rows.push(['strata run --rm, by phase (STRATA_TRACE, medians):', '']);
  for (const [k, v] of phases) rows.push([`  ${k}`, `${median(v).toFixed(1)} ms`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
} finally {
  spawnSync('sh', ['-c', `runc --root ${join(dir, 'runc')} list -q | xargs -r -n1 runc --root ${join(dir, 'runc')} delete -f`]);
  rmSync(dir, { recursive: true, force: true });
}
