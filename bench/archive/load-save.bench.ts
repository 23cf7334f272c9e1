// load and save of a 20,000-file / ~150 MB image and of a 1 GiB one-file image, strata
// beside docker (when a docker daemon runs here). Each figure is the median of RUNS runs, the
// engines taking turns, each run a new image (see main); save runs on the last one loaded.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { TarWriter } from '../../src/internal/tar/index.ts';

const STRATA = new URL('../../bin/strata', import.meta.url).pathname;
const RUNS = Number(process.env['RUNS'] ?? 3);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** A docker-archive of one image whose single layer is `layerTar`. */
async function wrap(layerTar: string, out: string, tag: string): Promise<void> {
  const diff = await sha256File(layerTar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`] }, history: [{ created: '2024-01-01T00:00:00Z', created_by: 'bench' }] }));
  const configHex = createHash('sha256').update(config).digest('hex');
  const file = createWriteStream(out);
  const w = new TarWriter(file);
  await w.add({ name: `${configHex}.json`, type: 'file', mode: 0o644, size: config.length }, config);
  await w.writeHeader({ name: 'layer/layer.tar', type: 'file', mode: 0o644, size: statSync(layerTar).size });
  for await (const c of createReadStream(layerTar, { highWaterMark: 4 << 20 })) await w.writeData(c as Buffer);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [tag], Layers: ['layer/layer.tar'] }]));
  await w.add({ name: 'manifest.json', type: 'file', mode: 0o644, size: manifest.length }, manifest);
  await w.finish();
  file.end();
  await finished(file);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-archive-'));
  let dockerUp: boolean;
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' });
    dockerUp = true;
  } catch {
    dockerUp = false;
  }
  // Each run loads an image of its own (the same shape, other bytes) into the same store, and
  // nothing is removed until the end: ext4 searches past the inodes deleted in the last
  // minutes before it reuses one, and a removed 20,000-file image made the next load of
  // either engine take up to several times as long (bench/diff/apply.bench.ts says more).
  const root = mkdtempSync(join(work, 'root-'));
  const env = { ...process.env, STRATA_ROOT: root };
  const dockerTags: string[] = [];
  try {
    const layers: Array<{ name: string; make: (run: number, out: string) => Promise<void> }> = [
      {
        name: '20,000 files / 150 MB',
        // Written as a tar directly: a tree on disk would have to be removed (see above).
        make: async (run, out) => {
          const file = createWriteStream(out);
          const w = new TarWriter(file);
          for (let d = 0; d < 200; d++) {
            await w.add({ name: `./dir${d}/`, type: 'directory', mode: 0o755, mtime: 1_700_000_000 });
            for (let f = 0; f < 100; f++) {
              const body = Buffer.from(createHash('sha256').update(`${run}/${d}/${f}`).digest().toString('hex').repeat(117));
              await w.add({ name: `./dir${d}/file${f}`, type: 'file', mode: 0o644, mtime: 1_700_000_000, size: body.length }, body);
            }
          }
          await w.finish();
          await finished(file);
        },
      },
      {
        name: '1 GiB one file',
        make: async (_run, out) => {
          const file = createWriteStream(out);
          const w = new TarWriter(file);
          await w.writeHeader({ name: 'big.bin', type: 'file', mode: 0o644, mtime: 1_700_000_000, size: 1 << 30 });
          for (let i = 0; i < 1024; i++) await w.writeData(randomBytes(1 << 20));
          await w.finish();
          await finished(file);
        },
      },
    ];
    console.log(`median of ${RUNS} runs, seconds`);
    for (const [n, layer] of layers.entries()) {
      const loads: number[] = [];
      const dockerLoads: number[] = [];
      let tag = '';
      for (let run = 0; run < RUNS; run++) {
        const layerTar = join(work, 'layer.tar');
        await layer.make(run, layerTar);
        tag = `strata-bench/load${n}:${run}`;
        const archive = join(work, `archive-${n}-${run}.tar`);
        await wrap(layerTar, archive, tag);
        rmSync(layerTar);
        execFileSync('sync');
        loads.push(timed(STRATA, ['load', '-i', archive], env));
        if (dockerUp) {
          execFileSync('sync');
          dockerLoads.push(timed('docker', ['load', '-i', archive]));
          dockerTags.push(tag);
        }
        rmSync(archive);
      }
      const saves = Array.from({ length: RUNS }, () => timed(STRATA, ['save', '-o', join(work, 'out.tar'), tag], env));
      let line = `${layer.name.padEnd(24)} strata load ${median(loads).toFixed(2)}  save ${median(saves).toFixed(2)}`;
      if (dockerUp) {
        const ds = Array.from({ length: RUNS }, () => timed('docker', ['save', '-o', join(work, 'out.tar'), tag]));
        line += `   docker load ${median(dockerLoads).toFixed(2)}  save ${median(ds).toFixed(2)}   ratio load ${(median(loads) / median(dockerLoads)).toFixed(2)}  save ${(median(saves) / median(ds)).toFixed(2)}`;
      }
      console.log(line);
    }
  } finally {
    for (const tag of dockerTags) spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
