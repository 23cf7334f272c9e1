// `image analyze` of a 160 MB / 20,000-file image: cold (no layer scan cached: each layer's
// tar read once), cached (every scan from $ROOT/insight), and from a docker-archive read in
// place (never cached); wall time and peak RSS of the CLI process (/usr/bin/time), medians.
// BIG=1 adds a 1 GiB one-file layer, cold, beside `sha256sum` of the same bytes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { TarWriter, type TarHeaderInit } from '../../src/internal/tar/index.ts';
import { Engine } from '../../src/engine/index.ts';
import { writeBigArchive } from '../../test/helpers/big-archive.ts';

const STRATA = new URL('../../bin/strata', import.meta.url).pathname;
const RUNS = Number(process.env['RUNS'] ?? 3);
// FILES=1000000 FILE_SIZE=16 measures memory at a million files.
const FILES = Number(process.env['FILES'] ?? 20_000);
const FILE_SIZE = Number(process.env['FILE_SIZE'] ?? 7_600);

type Entry = TarHeaderInit & { body?: Buffer };

/** A body unique to `seed` (so no two files are duplicates unless meant to be). */
function bodyOf(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  const h = createHash('sha256').update(String(seed)).digest();
  for (let at = 0; at < size; at += h.length) h.copy(b, at, 0, Math.min(h.length, size - at));
  return b;
}

async function writeLayer(path: string, entries: Iterable<Entry>): Promise<{ diffId: string; size: number }> {
  const file = createWriteStream(path);
  const w = new TarWriter(file);
  for (const { body, ...h } of entries) await w.add({ mode: 0o644, mtime: 0, ...h, ...(body ? { size: body.length } : {}) }, body);
  await w.finish();
  file.end();
  await finished(file);
  const hash = createHash('sha256');
  for await (const c of createReadStream(path)) hash.update(c as Buffer);
  return { diffId: `sha256:${hash.digest('hex')}`, size: statSync(path).size };
}

function* baseLayer(): Generator<Entry> {
  yield { name: 'usr/', type: 'directory', mode: 0o755 };
  for (let d = 0; d < 100; d++) {
    yield { name: `usr/d${d}/`, type: 'directory', mode: 0o755 };
    for (let f = 0; f < FILES / 100; f++) yield { name: `usr/d${d}/f${f}`, type: 'file', body: bodyOf(d * FILES + f, FILE_SIZE) };
  }
}

function* appLayer(): Generator<Entry> {
  // 1,000 files overwritten and one directory of 200 removed: 9 MB of waste.
  for (let f = 0; f < 1000; f++) yield { name: `usr/d1/f${f % 200}${f >= 200 ? `-${f}` : ''}`, type: 'file', body: bodyOf(-f - 1, FILE_SIZE) };
  yield { name: 'usr/.wh.d2', type: 'file' };
}

async function writeArchive(dir: string): Promise<string> {
  const layers = [await writeLayer(join(dir, 'l0.tar'), baseLayer()), await writeLayer(join(dir, 'l1.tar'), appLayer())];
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'ADD base' }, { created: '2024-01-01T00:00:00Z', created_by: 'COPY app' }],
  }));
  const path = join(dir, 'image.tar');
  const file = createWriteStream(path);
  const outer = new TarWriter(file);
  await outer.add({ name: 'config.json', type: 'file', mode: 0o644, size: config.length }, config);
  for (const [i, l] of layers.entries()) {
    await outer.writeHeader({ name: `l${i}.tar`, type: 'file', mode: 0o644, size: l.size });
    for await (const c of createReadStream(join(dir, `l${i}.tar`))) await outer.writeData(c as Buffer);
  }
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['bench/analyze:1'], Layers: ['l0.tar', 'l1.tar'] }]));
  await outer.add({ name: 'manifest.json', type: 'file', mode: 0o644, size: manifest.length }, manifest);
  await outer.finish();
  file.end();
  await finished(file);
  return path;
}

/** Seconds and peak RSS (MB) of one CLI run. */
function measure(root: string, ref: string): { s: number; rssMb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', STRATA, 'image', 'analyze', '--format', '{{.totals.wastedBytes}}', ref], {
    env: { ...process.env, STRATA_ROOT: root }, encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`analyze exited ${r.status}: ${r.stderr}`);
  const [s, kb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { s: s ?? NaN, rssMb: (kb ?? NaN) / 1024 };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-analyze-'));
  const root = join(dir, 'root');
  try {
    const archive = await writeArchive(dir);
    console.log(`image: ${(statSync(archive).size / 1e6).toFixed(0)} MB archive, ${FILES + 1000} files in 2 layers`);
    const load = spawnSync(STRATA, ['load', '-q', '-i', archive], { env: { ...process.env, STRATA_ROOT: root } });
    if (load.status !== 0) throw new Error(`load failed: ${load.stderr}`);
    const rows: [string, { s: number; rssMb: number }[]][] = [['cold (store, no scan cached)', []], ['cached (store)', []], ['docker-archive: in place', []]];
    for (let i = 0; i < RUNS; i++) {
      rmSync(join(root, 'insight'), { recursive: true, force: true });
      rows[0]?.[1].push(measure(root, 'bench/analyze:1'));
      rows[1]?.[1].push(measure(root, 'bench/analyze:1'));
      rows[2]?.[1].push(measure(root, `docker-archive:${archive}`));
    }
    console.log('| run | wall s (median) | peak RSS MB (median) |\n| --- | --- | --- |');
    for (const [name, samples] of rows) {
      console.log(`| ${name} | ${median(samples.map((m) => m.s)).toFixed(2)} | ${median(samples.map((m) => m.rssMb)).toFixed(0)} |`);
    }
    // In-process: the analysis alone, without Node's start-up and the CLI's loading.
    const inProcess: [string, number[]][] = [['in-process cold', []], ['in-process cached', []]];
    for (let i = 0; i < RUNS; i++) {
      rmSync(join(root, 'insight'), { recursive: true, force: true });
      for (const [, samples] of inProcess) {
        const engine = Engine.open({ root });
        const t0 = process.hrtime.bigint();
        await (await engine.insight()).analyzeImage('bench/analyze:1');
        samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
        engine.close();
      }
    }
    for (const [name, samples] of inProcess) console.log(`| ${name} | ${median(samples).toFixed(3)} | |`);
    if (process.env['BIG'] === '1') {
      const big = join(dir, 'big.tar');
      await writeBigArchive(big, 1024 ** 3, 'bench/big:1');
      const loaded = spawnSync(STRATA, ['load', '-q', '-i', big], { env: { ...process.env, STRATA_ROOT: root } });
      if (loaded.status !== 0) throw new Error(`load failed: ${loaded.stderr}`);
      const cold: { s: number; rssMb: number }[] = [];
      const sums: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        rmSync(join(root, 'insight'), { recursive: true, force: true });
        cold.push(measure(root, 'bench/big:1'));
        const t0 = process.hrtime.bigint();
        spawnSync('sha256sum', [big], { stdio: 'ignore' });
        sums.push(Number(process.hrtime.bigint() - t0) / 1e9);
      }
      console.log(`| 1 GiB one-file layer, cold | ${median(cold.map((m) => m.s)).toFixed(2)} | ${median(cold.map((m) => m.rssMb)).toFixed(0)} |`);
      console.log(`| (sha256sum of the 1 GiB archive) | ${median(sums).toFixed(2)} | |`);
    }
    const idle = spawnSync('/usr/bin/time', ['-f', '%e %M', STRATA, 'images', '-q'], { env: { ...process.env, STRATA_ROOT: root }, encoding: 'utf8' });
    console.log(`(strata images -q on the same store: ${idle.stderr.trim().split('\n').pop() ?? ''} s KB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
