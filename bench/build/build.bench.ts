// `strata build` beside docker's legacy builder on the same machine, same Dockerfiles, same
// contexts, same busybox base (each built by its own builder from scratch). Each round runs
// every workload once with each builder, interleaved, so the machine's other load falls on
// both alike; the table shows medians.
//
//   node --import tsx bench/build/build.bench.ts          (ROUNDS=5; BIG=0 skips the 150 MB context)
//
// Workloads:
//   cold          FROM base, WORKDIR, COPY of a small app, two RUNs (--no-cache)
//   noop-tiny     the same build again, nothing changed
//   one-file      the same build after changing one of the app's 100 source files
//   ten-runs      ten `RUN echo …` steps (--no-cache)
//   zero-runs     the base alone with one metadata step (--no-cache), to isolate per-RUN cost
//   big-cold      COPY of a 150 MB / 20,000-file context and one RUN (--no-cache)
//   big-noop      the same again, nothing changed
// plus `runc run` of `true` with the spec a RUN step gets, to tell strata's own work per RUN
// from the runtime's.
import { execFileSync, spawnSync } from 'node:child_process';
import { createBundle } from '../../src/runtime/bundle.ts';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const BIG = process.env['BIG'] !== '0';
const STRATA = join(import.meta.dirname, '../../bin/strata');
const BASE = 'strata-bench/busybox:1';

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

function timed(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-2000)}`);
  return elapsed;
}

function write(dir: string, files: Record<string, string | Buffer>): string {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-build-'));
  const root = join(work, 'store');
  const docker = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
  const strataEnv = { STRATA_ROOT: root };
  const dockerTags = new Set<string>();
  const results = new Map<string, { strata: number[]; docker: number[] }>();
  const keep = (key: string, who: 'strata' | 'docker', v: number): void => {
    const r = results.get(key) ?? { strata: [], docker: [] };
    r[who].push(v);
    results.set(key, r);
  };
  try {
    // The base image, built by each builder the same way.
    const base = write(join(work, 'base'), { Dockerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nCMD ["/bin/sh"]\n' });
    copyFileSync('/bin/busybox', join(base, 'busybox'));
    timed(STRATA, ['build', '-q', '-t', BASE, base], strataEnv);
    if (docker) timed('docker', ['build', '-q', '-t', BASE, base]);

    const app: Record<string, string> = { Dockerfile: `FROM ${BASE}\nWORKDIR /app\nCOPY . .\nRUN ls -R /app > /app/listing\nRUN echo done > /app/done\nCMD ["cat","/app/done"]\n` };
    for (let i = 0; i < 100; i++) app[`src/module${i}.js`] = `export const value${i} = ${i};\n${'// filler\n'.repeat(20)}`;
    const appDir = write(join(work, 'app'), app);
    const runsDir = write(join(work, 'runs'), { Dockerfile: `FROM ${BASE}\n${Array.from({ length: 10 }, (_, i) => `RUN echo step${i} > /s${i}\n`).join('')}` });
    const zeroDir = write(join(work, 'zero'), { Dockerfile: `FROM ${BASE}\nENV X=1\n` });
    let bigDir: string | undefined;
    if (BIG) {
      bigDir = join(work, 'big');
      for (let d = 0; d < 200; d++) {
        mkdirSync(join(bigDir, 'files', `d${d}`), { recursive: true });
        for (let f = 0; f < 100; f++) writeFileSync(join(bigDir, 'files', `d${d}`, `f${f}.bin`), randomBytes(7500));
      }
      writeFileSync(join(bigDir, 'Dockerfile'), `FROM ${BASE}\nCOPY . /app\nRUN ls /app/files | wc -l > /count\n`);
    }
    // The runtime's floor for one RUN: `runc run` of `true` with the spec a RUN step gets
    // (docker's seccomp profile, masked paths, host network, the build's hostname).
    const bundle = join(work, 'bundle');
    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    createBundle({
      bundleDir: bundle, rootfs, image: {},
      options: { id: 'strata-bench-floor', command: ['/bin/busybox', 'true'], entrypoint: '', network: 'host', hostname: 'buildkitsandbox', env: ['PATH=/bin'] },
    });

    for (let round = 0; round <= ROUNDS; round++) {
      const warm = round === 0;
      const both = (key: string, args: string[]): void => {
        const s = timed(STRATA, ['build', '-q', ...args], strataEnv);
        if (!warm) keep(key, 'strata', s);
        if (docker) {
          // Every docker image gets a tag of its own, so the end can remove exactly these.
          const tag = `strata-bench/${key}:${round}`;
          dockerTags.add(tag);
          const d = timed('docker', ['build', '-q', '-t', tag, ...args]);
          if (!warm) keep(key, 'docker', d);
        }
      };
      const t0 = process.hrtime.bigint();
      execFileSync('runc', ['--root', join(work, 'runc'), 'run', '--bundle', bundle, `bench-${round}`], { stdio: 'ignore' });
      if (!warm) keep('runc run of a RUN step\'s spec', 'strata', Number(process.hrtime.bigint() - t0) / 1e6);
      both('cold', ['--no-cache', '-t', 'bench-app', appDir]);
      both('noop-tiny', ['-t', 'bench-app', appDir]);
      writeFileSync(join(appDir, 'src', 'module7.js'), `export const value7 = ${round};\n`);
      both('one-file', ['-t', 'bench-app', appDir]);
      both('ten-runs', ['--no-cache', runsDir]);
      both('zero-runs', ['--no-cache', zeroDir]);
      if (bigDir !== undefined) {
        both('big-cold', ['--no-cache', '-t', 'bench-big', bigDir]);
        both('big-noop', ['-t', 'bench-big', bigDir]);
      }
      process.stderr.write(`round ${round} done\n`);
    }

    const f = (v: number): string => (Number.isNaN(v) ? '—' : `${(v / 1000).toFixed(2)} s`);
    const lines = ['| workload | strata | docker (legacy builder) | strata / docker |', '| --- | --- | --- | --- |'];
    for (const [key, r] of results) {
      const s = median(r.strata);
      const d = median(r.docker);
      lines.push(`| ${key} | ${key.startsWith('runc') ? `${s.toFixed(0)} ms` : f(s)} | ${f(d)} | ${Number.isNaN(d) ? '—' : (s / d).toFixed(2)} |`);
    }
    const ten = results.get('ten-runs');
    const zero = results.get('zero-runs');
    const runc = results.get('runc run of a RUN step\'s spec');
    if (ten && zero && runc) {
      const perRun = (median(ten.strata) - median(zero.strata)) / 10;
      const dockerPerRun = (median(ten.docker) - median(zero.docker)) / 10;
      lines.push('', `One RUN step adds ${perRun.toFixed(0)} ms to a build (docker: ${Number.isNaN(dockerPerRun) ? '—' : dockerPerRun.toFixed(0)} ms); \`runc run\` of \`true\` with the same spec takes ${median(runc.strata).toFixed(0)} ms, so strata's own work per RUN (snapshot, mount, bundle, diff, commit, records) is ${(perRun - median(runc.strata)).toFixed(0)} ms.`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (docker) spawnSync('docker', ['rmi', '-f', ...dockerTags, 'bench-app', 'bench-big', BASE], { stdio: 'ignore' });
  }
}

await main();
