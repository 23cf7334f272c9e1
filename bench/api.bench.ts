// The Engine API service beside dockerd, side by side in one run, the same docker CLI
// commands against each (DOCKER_BUILDKIT=0 on both sides, so both run the classic builder):
//
//   - `docker images` with 200 images (and `system df`, `version`), plus `strata images` on
//     the same store, the CLI without the service;
//   - `docker build` no-op rebuild of a 20,000-file context (`FROM scratch`, `COPY . /app`),
//     and the same command against a server that only reads the context (the CLI's own cost);
//   - `docker run --rm busybox true`, when the service serves POST /containers/create
//     (otherwise it says it skipped it, and why);
//   - each engine idle with streams open (two `docker events`, and `docker logs -f` of a
//     running container when the service has containers): CPU ticks over 10 s, and RSS.
//
//   containerd & dockerd --iptables=false --bridge=none &     (docs: shared ENVIRONMENT.md)
//   DOCKERD_PID=$(pidof dockerd) node --import tsx bench/api.bench.ts
//
// DOCKERD_HOST (default unix:///var/run/docker.sock) names the daemon; DOCKERD_PID lets the
// idle figures include dockerd's own. RUNS (15) samples for the short commands, BUILD_RUNS (3)
// for the rebuild; CONTEXT_FILE_BYTES (7500: a 150 MB context) sizes its 20,000 files.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Engine } from '../src/engine/index.ts';
import { importTarball } from '../src/archive/index.ts';
import { parseReference } from '../src/oci/index.ts';
import { median, tinyTar } from './bench-helpers.ts';

const STRATA = new URL('../bin/strata', import.meta.url).pathname;
const RUNS = Number(process.env['RUNS'] ?? 15);
const BUILD_RUNS = Number(process.env['BUILD_RUNS'] ?? 3);
const FILE_BYTES = Number(process.env['CONTEXT_FILE_BYTES'] ?? 7500);
const DOCKERD_HOST = process.env['DOCKERD_HOST'] ?? 'unix:///var/run/docker.sock';
const DOCKERD_PID = process.env['DOCKERD_PID'] === undefined ? undefined : Number(process.env['DOCKERD_PID']);
const IDLE_MS = 10_000;

function runOnce(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-2000)}`);
  return ms;
}

/** The same command through each engine, interleaved, so the machine's other load falls on both alike. */
function sideBySide(args: string[], envs: { strata: NodeJS.ProcessEnv; docker?: NodeJS.ProcessEnv }, runs: number): { strata: number; docker?: number } {
  const samples = { strata: [] as number[], docker: [] as number[] };
  runOnce('docker', args, envs.strata);
  if (envs.docker) runOnce('docker', args, envs.docker);
  for (let i = 0; i < runs; i++) {
    samples.strata.push(runOnce('docker', args, envs.strata));
    if (envs.docker) samples.docker.push(runOnce('docker', args, envs.docker));
  }
  return { strata: median(samples.strata), ...(envs.docker ? { docker: median(samples.docker) } : {}) };
}

/** Resident set (kB) and CPU ticks (user + system) of a process, from /proc. */
function procStats(pid: number): { rssKb: number; ticks: number } {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { rssKb: rss, ticks: Number(fields[11]) + Number(fields[12]) };
}

/** The status of POST /containers/create on the service: 404 "page not found" while it has no container endpoints. */
function containerCreateStatus(socket: string): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method: 'POST', path: '/containers/create', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, message: body.trim() }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

/**
 * A server that answers `_ping` and reads a POST /build body without doing anything with it,
 * in a child process (the runs are spawnSync'd): the docker CLI's own cost of walking, reading
 * and sending a context, the floor under any engine's rebuild.
 */
async function drainServer(socket: string): Promise<ChildProcess> {
  const script = `
    const http = require('node:http');
    http.createServer((req, res) => {
      if (req.url.includes('/_ping')) { res.writeHead(200, { 'API-Version': '1.41', 'Content-Type': 'text/plain' }); return res.end('OK'); }
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ aux: { ID: 'sha256:' + '0'.repeat(64) } }) + '\\r\\n'); });
    }).listen(process.argv[1], () => process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', script, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return child;
}

function write(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-api-'));
  const root = join(dir, 'store');
  const socket = join(dir, 'api.sock');
  const children: ChildProcess[] = [];
  const dockerTags: string[] = [];
  const dockerContainers: string[] = [];
  const strataContainers: string[] = [];
  const base = { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'strata-bench-docker-config-')) };
  const viaService = { ...base, DOCKER_HOST: `unix://${socket}` };
  const viaDockerd = { ...base, DOCKER_HOST: DOCKERD_HOST };
  const dockerd = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { env: viaDockerd }).status === 0 ? viaDockerd : undefined;
  const rows: { work: string; strata: number; docker?: number; target: string }[] = [];
  const notes: string[] = [];
  if (!dockerd) notes.push(`no docker daemon answers on ${DOCKERD_HOST}: strata's figures only (start one as the header says)`);
  try {
    const engine = Engine.open({ root });
    for (let i = 0; i < 200; i++) {
      await importTarball(engine.images, engine.content, engine.gc, { source: Readable.from([await tinyTar(i)]), sourceName: 'bench', tag: parseReference(`bench/image${i}:1`) });
    }
    engine.close();
    const service = spawn(STRATA, ['--root', root, 'system', 'service', '-H', `unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(service);
    await new Promise<void>((resolve) => service.stderr?.on('data', (c: Buffer) => {
      if (c.toString().includes('API listening')) resolve();
    }));
    // RSS at idle before any work, and again after the work below (the heap grown by a build stays).
    await new Promise((r) => setTimeout(r, 1000));
    const freshRssKb = procStats(service.pid as number).rssKb;
    if (dockerd) {
      for (let i = 0; i < 200; i++) {
        const tag = `strata-bench/image${i}:1`;
        execFileSync('docker', ['import', '-', tag], { env: dockerd, input: await tinyTar(i), stdio: ['pipe', 'ignore', 'ignore'] });
        dockerTags.push(tag);
      }
    }
    const dockerdImages = dockerd ? execFileSync('docker', ['images', '-q'], { env: dockerd }).toString().split('\n').filter(Boolean).length : 0;

    const strataCli = (() => {
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i++) samples.push(runOnce(STRATA, ['images'], { ...process.env, STRATA_ROOT: root }));
      return median(samples);
    })();
    rows.push({ work: 'strata images (the CLI, no service)', strata: strataCli, target: '' });
    const images = sideBySide(['images'], { strata: viaService, ...(dockerd ? { docker: dockerd } : {}) }, RUNS);
    rows.push({ work: `docker images (200 images; dockerd ${dockerdImages})`, ...images, target: '≤ 1.0×' });
    rows.push({ work: 'docker system df', ...sideBySide(['system', 'df'], { strata: viaService, ...(dockerd ? { docker: dockerd } : {}) }, RUNS), target: '' });
    rows.push({ work: 'docker version', ...sideBySide(['version'], { strata: viaService, ...(dockerd ? { docker: dockerd } : {}) }, RUNS), target: '' });

    // A 20,000-file context, built once by each (cold), then rebuilt with nothing changed.
    const context = join(dir, 'context');
    for (let d = 0; d < 200; d++) {
      mkdirSync(join(context, 'files', `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(context, 'files', `d${d}`, `f${f}.bin`), randomBytes(FILE_BYTES));
    }
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY . /app\n');
    const buildArgs = ['build', '-q', '-t', 'strata-bench/context:1', context];
    if (dockerd) dockerTags.push('strata-bench/context:1');
    const rebuild = sideBySide(buildArgs, { strata: viaService, ...(dockerd ? { docker: dockerd } : {}) }, BUILD_RUNS);
    rows.push({ work: `docker build no-op, 20,000 files (${Math.round((20_000 * FILE_BYTES) / 1e6)} MB)`, ...rebuild, target: '≤ 0.1×' });
    const rebuildRssKb = procStats(service.pid as number).rssKb;
    const drainSocket = join(dir, 'drain.sock');
    const drain = await drainServer(drainSocket);
    children.push(drain);
    const floor = sideBySide(buildArgs, { strata: { ...base, DOCKER_HOST: `unix://${drainSocket}` } }, BUILD_RUNS).strata;
    drain.kill('SIGTERM');
    rows.push({ work: 'the same, to a server that only reads the body', strata: floor, ...(rebuild.docker !== undefined ? { docker: rebuild.docker } : {}), target: 'the floor' });

    // docker run --rm busybox true needs the container endpoints.
    const create = await containerCreateStatus(socket);
    const hasContainers = !(create.status === 404 && /page not found/.test(create.message));
    const busybox = 'strata-bench/busybox:1';
    if (hasContainers) {
      const baseDir = write(join(dir, 'busybox'), { Dockerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nCMD ["/bin/sh"]\n' });
      copyFileSync('/bin/busybox', join(baseDir, 'busybox'));
      runOnce('docker', ['build', '-q', '-t', busybox, baseDir], viaService);
      if (dockerd) {
        runOnce('docker', ['build', '-q', '-t', busybox, baseDir], dockerd);
        dockerTags.push(busybox);
      }
      // --network none on both sides: the dockerd beside runs with --bridge=none (the bridge's
      // own cost, beside docker's, is bench/network/beside-docker.sh's to measure).
      rows.push({ work: 'docker run --rm --network none busybox true', ...sideBySide(['run', '--rm', '--network', 'none', busybox, 'true'], { strata: viaService, ...(dockerd ? { docker: dockerd } : {}) }, RUNS), target: '≤ 0.7×' });
    } else {
      notes.push(`docker run --rm busybox true: skipped, the service has no container endpoints yet (POST /containers/create answers ${create.status} ${create.message})`);
    }

    // Idle with streams open: two events clients each, and logs -f of a running container where there are containers.
    const streams = (env: NodeJS.ProcessEnv): void => {
      children.push(spawn('docker', ['events'], { env, stdio: 'ignore' }));
      children.push(spawn('docker', ['events', '--filter', 'type=image'], { env, stdio: 'ignore' }));
      if (hasContainers) {
        const id = execFileSync('docker', ['run', '-d', '--network', 'none', busybox, 'sleep', '3600'], { env }).toString().trim();
        (env === dockerd ? dockerContainers : strataContainers).push(id);
        children.push(spawn('docker', ['logs', '-f', id], { env, stdio: 'ignore' }));
      }
    };
    streams(viaService);
    if (dockerd) streams(dockerd);
    await new Promise((r) => setTimeout(r, 2000));
    const pids: [string, number][] = [['strata system service', service.pid as number], ...(DOCKERD_PID !== undefined ? [['dockerd', DOCKERD_PID] as [string, number]] : [])];
    const before = pids.map(([, pid]) => procStats(pid));
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const after = pids.map(([, pid]) => procStats(pid));

    console.log(`medians: ${RUNS} runs (build: ${BUILD_RUNS}), ms; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    console.log(`${'work'.padEnd(48)} ${'strata'.padStart(9)} ${'dockerd'.padStart(9)} ${'ratio'.padStart(6)}  target`);
    for (const r of rows) {
      const ratio = r.docker === undefined ? '' : (r.strata / r.docker).toFixed(2);
      console.log(`${r.work.padEnd(48)} ${r.strata.toFixed(1).padStart(9)} ${(r.docker?.toFixed(1) ?? '').padStart(9)} ${ratio.padStart(6)}  ${r.target}`);
    }
    const idleStreams = `two events clients${hasContainers ? ' and logs -f' : ''}`;
    pids.forEach(([name, pid], i) => {
      const b = before[i];
      const a = after[i];
      if (b && a) console.log(`${name} (pid ${pid}) idle ${IDLE_MS / 1000} s with ${idleStreams}: ${a.ticks - b.ticks} CPU ticks, RSS ${(a.rssKb / 1024).toFixed(1)} MB`);
    });
    console.log(`strata system service RSS idle after start, before any request: ${(freshRssKb / 1024).toFixed(1)} MB; right after the rebuilds: ${(rebuildRssKb / 1024).toFixed(1)} MB`);
    console.log('targets: service idle CPU 0 ticks, RSS < 80 MB');
    for (const note of notes) console.log(`note: ${note}`);
  } finally {
    // The service's containers outlive it (strata-shim): removed while it still answers.
    if (strataContainers.length > 0) spawnSync('docker', ['rm', '-f', ...strataContainers], { env: viaService, stdio: 'ignore' });
    for (const child of children) child.kill('SIGTERM');
    if (dockerd) {
      if (dockerContainers.length > 0) spawnSync('docker', ['rm', '-f', ...dockerContainers], { env: dockerd, stdio: 'ignore' });
      if (dockerTags.length > 0) spawnSync('docker', ['rmi', '-f', ...dockerTags], { env: dockerd, stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
