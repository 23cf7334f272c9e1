// `commit` of a container whose writable layer holds the change of bench/diff's two trees (a
// 20,000-file ~150 MB tree, a 1 GiB file), strata beside docker (when a daemon runs here): the
// diff of the container's layer into a new image layer, which is what the layer issue's
// "faster than docker commit of the same change" measures. The change is put in with `cp -`
// of one tar into a created container, for both engines, then `commit` alone is timed.
//
//   node --import tsx bench/diff/commit.bench.ts            RUNS=3 by default
//
// Nothing is removed while the runs go on (ext4 searches past recently deleted inodes, which
// slows whichever engine comes next: bench/diff/apply.bench.ts says more); all at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { TarWriter } from '../../src/internal/tar/index.ts';

const STRATA = new URL('../../bin/strata', import.meta.url).pathname;
const RUNS = Number(process.env.RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs a command (its stdin from the file `input`) and returns how long it took. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): number {
  const stdin = input === undefined ? 'ignore' : openSync(input, 'r');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: [stdin, 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    if (typeof stdin === 'number') closeSync(stdin);
  }
}

async function writeTar(out: string, fill: (w: TarWriter) => Promise<void>): Promise<void> {
  const file = createWriteStream(out);
  const w = new TarWriter(file);
  await fill(w);
  await w.finish();
  await finished(file);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-commit-'));
  const root = join(work, 'store');
  const env = { ...process.env, STRATA_ROOT: root };
  let docker = true;
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' });
  } catch {
    docker = false;
  }
  const dockerObjects: string[][] = [];
  try {
    // A base image: busybox alone.
    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    execFileSync('cp', ['/bin/busybox', join(rootfs, 'bin', 'busybox')]);
    execFileSync('tar', ['-C', rootfs, '-cf', join(work, 'rootfs.tar'), '.']);
    run(STRATA, ['import', join(work, 'rootfs.tar'), 'strata-bench/commit-base:1'], env);
    if (docker) {
      run('docker', ['import', join(work, 'rootfs.tar'), 'strata-bench/commit-base:1'], process.env);
      dockerObjects.push(['rmi', 'strata-bench/commit-base:1']);
    }
    const changes: Array<[string, string]> = [['20,000 files / 150 MB', join(work, 'files.tar')], ['1 GiB one file', join(work, 'big.tar')]];
    await writeTar(changes[0]![1], async (w) => {
      for (let d = 0; d < 200; d++) {
        await w.add({ name: `data/dir${d}/`, type: 'directory', mode: 0o755, mtime: 1_700_000_000 });
        for (let f = 0; f < 100; f++) {
          const body = randomBytes(1000 + (((d * 100 + f) * 7919) % 14000));
          await w.add({ name: `data/dir${d}/file${f}`, type: 'file', mode: 0o644, mtime: 1_700_000_000, size: body.length }, body);
        }
      }
    });
    await writeTar(changes[1]![1], async (w) => {
      await w.writeHeader({ name: 'big.bin', type: 'file', mode: 0o644, mtime: 1_700_000_000, size: 1 << 30 });
      for (let i = 0; i < 1024; i++) await w.writeData(randomBytes(1 << 20));
    });
    console.log(`commit, median of ${RUNS} runs (ms)`);
    for (const [n, [label, tar]] of changes.entries()) {
      const times: Record<string, number[]> = { strata: [], docker: [] };
      for (let i = 0; i < RUNS; i++) {
        for (const [engine, bin, e] of [['strata', STRATA, env], ['docker', 'docker', process.env]] as const) {
          if (engine === 'docker' && !docker) continue;
          const name = `strata-bench-commit-${n}-${i}`;
          run(bin, ['create', '--name', name, 'strata-bench/commit-base:1', 'true'], e);
          run(bin, ['cp', '-', `${name}:/`], e, tar);
          execFileSync('sync');
          times[engine]!.push(run(bin, ['commit', name, `strata-bench/commit-${n}:${i}`], e));
          if (engine === 'docker') dockerObjects.unshift(['rm', '-f', name], ['rmi', `strata-bench/commit-${n}:${i}`]);
        }
      }
      const s = median(times.strata!);
      let line = `${label.padEnd(22)}  strata ${s.toFixed(0).padStart(6)}`;
      if (docker) {
        const d = median(times.docker!);
        line += `   docker ${d.toFixed(0).padStart(6)}   ratio ${(s / d).toFixed(2)}`;
      }
      console.log(line);
    }
  } finally {
    for (const args of dockerObjects) spawnSync('docker', args, { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
