// The Engine API service beside the CLI and dockerd: `docker images` and `docker system df`
// with 200 images through `strata system service`, `strata images` on the same store, and
// docker's own figures when a docker daemon runs here; then the service's RSS and CPU while
// idle with an events client connected.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Engine } from '../src/engine/index.ts';
import { importTarball } from '../src/archive/index.ts';
import { parseReference } from '../src/oci/index.ts';
import { TarWriter } from '../src/internal/tar/index.ts';

const STRATA = new URL('../bin/strata', import.meta.url).pathname;
const RUNS = Number(process.env['RUNS'] ?? 15);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  spawnSync(cmd, args, { env, stdio: 'ignore' });
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(samples);
}

async function tinyTar(i: number): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = new TarWriter(out);
  const body = Buffer.from(`image number ${i}\n`);
  await w.add({ name: `file-${i}.txt`, type: 'file', mode: 0o644, size: body.length, mtime: 0 }, body);
  await w.finish();
  return Buffer.concat(chunks);
}

/** Resident set (kB) and CPU ticks (user + system) of a process, from /proc. */
function procStats(pid: number): { rssKb: number; ticks: number } {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { rssKb: rss, ticks: Number(fields[11]) + Number(fields[12]) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-api-'));
  const root = join(dir, 'store');
  const socket = join(dir, 'api.sock');
  try {
    const engine = Engine.open({ root });
    for (let i = 0; i < 200; i++) {
      await importTarball(engine.images, engine.content, engine.gc, { source: Readable.from([await tinyTar(i)]), sourceName: 'bench', tag: parseReference(`bench/image${i}:1`) });
    }
    engine.close();
    const service = spawn(STRATA, ['--root', root, 'system', 'service', '-H', `unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => service.stderr.on('data', (c: Buffer) => {
      if (c.toString().includes('API listening')) resolve();
    }));
    const viaService = { ...process.env, DOCKER_HOST: `unix://${socket}` };
    const rows: [string, number, string][] = [];
    rows.push(['strata images (200 images)', time(STRATA, ['images'], { ...process.env, STRATA_ROOT: root }), 'the CLI, no service']);
    rows.push(['docker images → strata service', time('docker', ['images'], viaService), 'target ≤ 1.0× docker → dockerd']);
    rows.push(['docker system df → strata service', time('docker', ['system', 'df'], viaService), '']);
    rows.push(['docker version → strata service', time('docker', ['version'], viaService), '']);
    let dockerUp = false;
    try {
      execFileSync('docker', ['-H', 'unix:///var/run/docker.sock', 'version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' });
      dockerUp = true;
    } catch {
      dockerUp = false;
    }
    if (dockerUp) {
      const daemon = { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' };
      for (let i = 0; i < 200; i++) execFileSync('docker', ['import', '-', `strata-bench/image${i}:1`], { env: daemon, input: await tinyTar(i), stdio: ['pipe', 'ignore', 'ignore'] });
      try {
        rows.push(['docker images → dockerd (200+ images)', time('docker', ['images'], daemon), '']);
        rows.push(['docker system df → dockerd', time('docker', ['system', 'df'], daemon), '']);
      } finally {
        execFileSync('docker', ['rmi', ...Array.from({ length: 200 }, (_, i) => `strata-bench/image${i}:1`)], { env: daemon, stdio: 'ignore' });
      }
    }
    // Idle: an events client connected, nothing happening.
    const events = spawn('docker', ['events'], { env: viaService, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    const before = procStats(service.pid as number);
    await new Promise((r) => setTimeout(r, 10_000));
    const after = procStats(service.pid as number);
    events.kill();
    service.kill('SIGTERM');
    console.log(`median of ${RUNS} runs, ms`);
    for (const [name, ms, note] of rows) console.log(`${name.padEnd(40)} ${ms.toFixed(1).padStart(8)}  ${note}`);
    console.log(`service idle for 10 s with an events client: ${after.ticks - before.ticks} CPU ticks, RSS ${(after.rssKb / 1024).toFixed(1)} MB (targets: 0, < 80 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
