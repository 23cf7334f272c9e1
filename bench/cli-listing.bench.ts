// Start-up and listing speed: `strata --version` and `strata images` against `node -e 0`
// (every command pays Node's start-up), and `images` / `system df` with 200 images, beside
// docker's figures for the same 200 images when a docker daemon runs here.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Engine } from '../src/engine/index.ts';
import { importTarball } from '../src/archive/index.ts';
import { parseReference } from '../src/oci/index.ts';
import { median, tinyTar } from './bench-helpers.ts';

const STRATA = new URL('../bin/strata', import.meta.url).pathname;
const RUNS = Number(process.env['RUNS'] ?? 15);

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  spawnSync(cmd, args, { env, stdio: 'ignore' }); // warm the page cache
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const small = mkdtempSync(join(tmpdir(), 'strata-bench-small-'));
  const big = mkdtempSync(join(tmpdir(), 'strata-bench-200-'));
  try {
    const e1 = Engine.open({ root: small });
    for (let i = 0; i < 3; i++) {
      await importTarball(e1.images, e1.content, e1.gc, { source: Readable.from([await tinyTar(i)]), sourceName: 'bench', tag: parseReference(`bench/small:${i}`) });
    }
    e1.close();
    const e2 = Engine.open({ root: big });
    for (let i = 0; i < 200; i++) {
      await importTarball(e2.images, e2.content, e2.gc, { source: Readable.from([await tinyTar(i)]), sourceName: 'bench', tag: parseReference(`bench/image${i}:1`) });
    }
    e2.close();
    const env = (root: string): NodeJS.ProcessEnv => ({ ...process.env, STRATA_ROOT: root });
    const rows: [string, number, string][] = [];
    const node0 = time(process.execPath, ['-e', '0']);
    rows.push(['node -e 0', node0, '']);
    const version = time(STRATA, ['--version'], env(small));
    rows.push(['strata --version', version, `+${(version - node0).toFixed(0)} ms over node (target ≤ 20)`]);
    const imagesSmall = time(STRATA, ['images'], env(small));
    rows.push(['strata images (3 images)', imagesSmall, `+${(imagesSmall - node0).toFixed(0)} ms over node (target ≤ 50)`]);
    rows.push(['strata images (200 images)', time(STRATA, ['images'], env(big)), 'target < 150']);
    rows.push(['strata system df (200 images)', time(STRATA, ['system', 'df'], env(big)), 'target < 150']);
    rows.push(['strata system df -v (200 images)', time(STRATA, ['system', 'df', '-v'], env(big)), '']);
    let dockerUp = false;
    try {
      execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' });
      dockerUp = true;
    } catch {
      dockerUp = false;
    }
    if (dockerUp) {
      const existing = Number(execFileSync('docker', ['images', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean).length);
      for (let i = 0; i < 200; i++) {
        execFileSync('docker', ['import', '-', `strata-bench/image${i}:1`], { input: await tinyTar(i), stdio: ['pipe', 'ignore', 'ignore'] });
      }
      try {
        rows.push([`docker images (${existing + 200} images)`, time('docker', ['images']), 'docker CLI + dockerd']);
        rows.push([`docker system df (${existing + 200} images)`, time('docker', ['system', 'df']), '']);
      } finally {
        const ids = Array.from({ length: 200 }, (_, i) => `strata-bench/image${i}:1`);
        execFileSync('docker', ['rmi', ...ids], { stdio: 'ignore' });
      }
    }
    console.log(`median of ${RUNS} runs, ms`);
    for (const [name, ms, note] of rows) console.log(`${name.padEnd(36)} ${ms.toFixed(1).padStart(8)}  ${note}`);
  } finally {
    rmSync(small, { recursive: true, force: true });
    rmSync(big, { recursive: true, force: true });
  }
}

await main();
