// load and save of a 20,000-file / ~150 MB image and of a 1 GiB one-file image, strata
// beside docker (when a docker daemon runs here). Each figure is the median of RUNS runs on
// a fresh store (load) or the loaded store (save); the page cache is warm for both engines.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
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
  try {
    const tree = join(work, 'tree');
    for (let d = 0; d < 200; d++) {
      mkdirSync(join(tree, `dir${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(tree, `dir${d}`, `file${f}`), createHash('sha256').update(`${d}/${f}`).digest().toString('hex').repeat(117));
    }
    execFileSync('tar', ['-C', tree, '-cf', join(work, 'small-files.tar'), '.']);
    execFileSync('dd', ['if=/dev/urandom', `of=${join(tree, '..', 'big.bin')}`, 'bs=1M', 'count=1024'], { stdio: 'ignore' });
    execFileSync('tar', ['-C', work, '-cf', join(work, 'big.tar'), 'big.bin']);
    rmSync(join(work, 'big.bin'));
    const images = [
      { name: '20,000 files / 150 MB', layer: join(work, 'small-files.tar'), tag: 'strata-bench/files:1' },
      { name: '1 GiB one file', layer: join(work, 'big.tar'), tag: 'strata-bench/big:1' },
    ];
    console.log(`median of ${RUNS} runs, seconds`);
    for (const image of images) {
      const archive = join(work, `${image.tag.replace(/[/:]/g, '-')}.tar`);
      await wrap(image.layer, archive, image.tag);
      const loads: number[] = [];
      let root = '';
      for (let i = 0; i < RUNS; i++) {
        if (root) rmSync(root, { recursive: true, force: true });
        root = mkdtempSync(join(work, 'root-'));
        loads.push(timed(STRATA, ['load', '-i', archive], { ...process.env, STRATA_ROOT: root }));
      }
      const saves = Array.from({ length: RUNS }, () => timed(STRATA, ['save', '-o', join(work, 'out.tar'), image.tag], { ...process.env, STRATA_ROOT: root }));
      rmSync(root, { recursive: true, force: true });
      let line = `${image.name.padEnd(24)} strata load ${median(loads).toFixed(2)}  save ${median(saves).toFixed(2)}`;
      if (dockerUp) {
        const dl: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          spawnSync('docker', ['rmi', image.tag], { stdio: 'ignore' });
          dl.push(timed('docker', ['load', '-i', archive]));
        }
        const ds = Array.from({ length: RUNS }, () => timed('docker', ['save', '-o', join(work, 'out.tar'), image.tag]));
        spawnSync('docker', ['rmi', image.tag], { stdio: 'ignore' });
        line += `   docker load ${median(dl).toFixed(2)}  save ${median(ds).toFixed(2)}   ratio load ${(median(loads) / median(dl)).toFixed(2)}  save ${(median(saves) / median(ds)).toFixed(2)}`;
      }
      console.log(line);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
