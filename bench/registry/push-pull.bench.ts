// push and pull beside docker, against one local docker-registry (distribution 2.8):
//   - a 20,000-file / ~150 MB one-layer image (the load/save benchmark's tree),
//   - a 1 GiB one-file image (incompressible),
//   - pull of an image whose base layer (the 150 MB one) is already present.
// Every push goes to a registry with empty storage, from a store that has never compressed
// the layer ("cold": the gzip is part of the figure), and strata's second push of the same
// store to an empty registry is shown too ("warm": the gzip blob kept from the first push is
// reused). Every pull starts from an empty store (docker: after rmi), except the base-present one.
//
//   node --import tsx bench/registry/push-pull.bench.ts      (RUNS=3; ONLY=files|big|base to pick)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { build } from 'esbuild';
import { TarWriter } from '../../src/internal/tar/index.ts';

// A private bundle: dist/ is shared with whoever rebuilds it while this runs.
const BUNDLE_DIR = new URL('../../node_modules/.cache/strata-bench-registry/', import.meta.url).pathname;
const STRATA = join(BUNDLE_DIR, 'strata.js');

async function bundle(): Promise<void> {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  await build({
    entryPoints: { strata: new URL('../../src/cli/main.ts', import.meta.url).pathname },
    outdir: BUNDLE_DIR, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    external: ['better-sqlite3', 'koffi'], chunkNames: 'chunks/[name]-[hash]', logLevel: 'warning',
    banner: { js: "import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(import.meta.url);" },
  });
}
const RUNS = Number(process.env['RUNS'] ?? 3);
const ONLY = process.env['ONLY'];

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  if (cmd === STRATA) [cmd, args] = [process.execPath, [STRATA, ...args]];
  // Write back what the previous step left dirty, so neither engine's figure carries it.
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function quiet(cmd: string, args: string[], env?: NodeJS.ProcessEnv): void {
  if (cmd === STRATA) [cmd, args] = [process.execPath, [STRATA, ...args]];
  const r = spawnSync(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** A docker-archive of one image over the given layer tars (bottom first). */
async function archive(layers: string[], out: string, tag: string): Promise<void> {
  const diffIds = [];
  for (const l of layers) diffIds.push(await sha256File(l));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: {},
    rootfs: { type: 'layers', diff_ids: diffIds }, history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'bench' })),
  }));
  const configHex = createHash('sha256').update(config).digest('hex');
  const file = createWriteStream(out);
  const w = new TarWriter(file);
  await w.add({ name: `${configHex}.json`, type: 'file', mode: 0o644, size: config.length }, config);
  const names: string[] = [];
  for (const [i, l] of layers.entries()) {
    const name = `layer${i}/layer.tar`;
    names.push(name);
    await w.writeHeader({ name, type: 'file', mode: 0o644, size: statSync(l).size });
    for await (const c of createReadStream(l, { highWaterMark: 4 << 20 })) await w.writeData(c as Buffer);
  }
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [tag], Layers: names }]));
  await w.add({ name: 'manifest.json', type: 'file', mode: 0o644, size: manifest.length }, manifest);
  await w.finish();
  file.end();
  await finished(file);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Registries still running, stopped when the benchmark ends however it ends. */
const running = new Set<ChildProcess>();

/** A docker-registry with empty storage; stop() removes it. */
async function registry(work: string): Promise<{ host: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(work, 'registry-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
    'http:', `  addr: 127.0.0.1:${port}`, `  secret: ${randomBytes(8).toString('hex')}`, '',
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  running.add(child);
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (open) break;
    await new Promise((r) => setTimeout(r, 30));
  }
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  await bundle();
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-registry-'));
  const dockerUp = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore' }).status === 0;
  try {
    const tree = join(work, 'tree');
    for (let d = 0; d < 200; d++) {
      mkdirSync(join(tree, `dir${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(tree, `dir${d}`, `file${f}`), createHash('sha256').update(`${d}/${f}`).digest().toString('hex').repeat(117));
    }
    execFileSync('tar', ['-C', tree, '-cf', join(work, 'files.tar'), '.']);
    rmSync(tree, { recursive: true });
    mkdirSync(join(work, 'top'));
    writeFileSync(join(work, 'top', 'app.js'), 'console.log("top layer")\n'.repeat(1000));
    execFileSync('tar', ['-C', join(work, 'top'), '-cf', join(work, 'top.tar'), '.']);
    const images = [
      { key: 'files', name: '20,000 files / 150 MB', layers: [join(work, 'files.tar')] },
      { key: 'big', name: '1 GiB one file', layers: [join(work, 'big.tar')] },
    ].filter((i) => ONLY === undefined || ONLY === i.key);
    if (images.some((i) => i.key === 'big')) {
      execFileSync('dd', ['if=/dev/urandom', `of=${join(work, 'big.bin')}`, 'bs=1M', 'count=1024'], { stdio: 'ignore' });
      execFileSync('tar', ['-C', work, '-cf', join(work, 'big.tar'), 'big.bin']);
      rmSync(join(work, 'big.bin'));
    }
    console.log(`median of ${RUNS} runs, seconds${dockerUp ? '' : ' (no docker daemon: strata only)'}`);
    for (const image of images) {
      const tag = `strata-bench/registry-${image.key}:1`;
      const file = join(work, `${image.key}-image.tar`);
      await archive(image.layers, file, tag);
      const pushes: number[] = [];
      const warm: number[] = [];
      const pulls: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const reg = await registry(work);
        const root = mkdtempSync(join(work, 'root-'));
        const env = { ...process.env, STRATA_ROOT: root, DOCKER_CONFIG: work };
        const name = `${reg.host}/bench/${image.key}:1`;
        quiet(STRATA, ['load', '-i', file], env);
        quiet(STRATA, ['tag', tag, name], env);
        pushes.push(timed(STRATA, ['push', name], env));
        const reg2 = await registry(work);
        const name2 = `${reg2.host}/bench/${image.key}:1`;
        quiet(STRATA, ['tag', tag, name2], env);
        warm.push(timed(STRATA, ['push', name2], env));
        await reg2.stop();
        const fresh = mkdtempSync(join(work, 'root-'));
        pulls.push(timed(STRATA, ['pull', name], { ...env, STRATA_ROOT: fresh }));
        rmSync(fresh, { recursive: true, force: true });
        rmSync(root, { recursive: true, force: true });
        await reg.stop();
      }
      let line = `${image.name.padEnd(22)} strata push ${median(pushes).toFixed(2)} (warm ${median(warm).toFixed(2)})  pull ${median(pulls).toFixed(2)}`;
      if (dockerUp) {
        const dp: number[] = [];
        const dl: number[] = [];
        quiet('docker', ['load', '-i', file]);
        for (let run = 0; run < RUNS; run++) {
          const reg = await registry(work);
          const name = `${reg.host}/bench/${image.key}:1`;
          quiet('docker', ['tag', tag, name]);
          dp.push(timed('docker', ['push', name]));
          quiet('docker', ['rmi', name]);
          // docker keeps the image under `tag`; remove it too so the pull writes its layers again.
          spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
          dl.push(timed('docker', ['pull', name]));
          quiet('docker', ['tag', name, tag]);
          quiet('docker', ['rmi', name]);
          await reg.stop();
        }
        spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
        line += `   docker push ${median(dp).toFixed(2)}  pull ${median(dl).toFixed(2)}   ratio push ${(median(pushes) / median(dp)).toFixed(2)}  pull ${(median(pulls) / median(dl)).toFixed(2)}`;
      }
      console.log(line);
    }
    if (ONLY === undefined || ONLY === 'base') await basePresent(work, dockerUp);
  } finally {
    for (const child of running) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

/** Pull of base+top when base is already present (docker: `Already exists`). */
async function basePresent(work: string, dockerUp: boolean): Promise<void> {
  const baseTag = 'strata-bench/registry-base:1';
  const appTag = 'strata-bench/registry-app:1';
  await archive([join(work, 'files.tar')], join(work, 'base-image.tar'), baseTag);
  await archive([join(work, 'files.tar'), join(work, 'top.tar')], join(work, 'app-image.tar'), appTag);
  const reg = await registry(work);
  const seedRoot = mkdtempSync(join(work, 'root-'));
  const seedEnv = { ...process.env, STRATA_ROOT: seedRoot, DOCKER_CONFIG: work };
  const base = `${reg.host}/bench/base:1`;
  const app = `${reg.host}/bench/app:1`;
  quiet(STRATA, ['load', '-i', join(work, 'base-image.tar')], seedEnv);
  quiet(STRATA, ['load', '-i', join(work, 'app-image.tar')], seedEnv);
  quiet(STRATA, ['tag', baseTag, base], seedEnv);
  quiet(STRATA, ['tag', appTag, app], seedEnv);
  quiet(STRATA, ['push', base], seedEnv);
  quiet(STRATA, ['push', app], seedEnv);
  const pulls: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const root = mkdtempSync(join(work, 'root-'));
    const env = { ...process.env, STRATA_ROOT: root, DOCKER_CONFIG: work };
    quiet(STRATA, ['pull', base], env);
    pulls.push(timed(STRATA, ['pull', app], env));
    rmSync(root, { recursive: true, force: true });
  }
  let line = `${'base layer present'.padEnd(22)} strata pull ${median(pulls).toFixed(2)}`;
  if (dockerUp) {
    const dl: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      spawnSync('docker', ['rmi', app, base], { stdio: 'ignore' });
      quiet('docker', ['pull', base]);
      dl.push(timed('docker', ['pull', app]));
    }
    spawnSync('docker', ['rmi', app, base], { stdio: 'ignore' });
    line += `   docker pull ${median(dl).toFixed(2)}   ratio pull ${(median(pulls) / median(dl)).toFixed(2)}`;
  }
  console.log(line);
  rmSync(seedRoot, { recursive: true, force: true });
  await reg.stop();
}

await main();
