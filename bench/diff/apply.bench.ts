// Applying and diffing layers, beside GNU tar on the same bytes: a 1 GiB one-file layer and a
// 20,000-file ~150 MB layer. Each strata step runs in its own process so its peak RSS can be
// reported (target: under 200 MB whatever the layer size); apply's target is within 1.3x of
// `tar -x` of the same uncompressed tar.
//
//   node --import tsx bench/diff/apply.bench.ts            both workloads
//   node --import tsx bench/diff/apply.bench.ts small      only the 20,000-file one
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { READ_CHUNK } from '../../src/content/index.ts';
import { applyLayer, compress, diffOverlayUpper } from '../../src/diff/index.ts';

const self = new URL(import.meta.url).pathname;
/** Apply rounds, interleaved with tar's: the disk here is shared, so more rounds give a steadier median. */
const ROUNDS = Number(process.env.ROUNDS ?? 5);

/** Worker mode: one strata operation, then a JSON line with its time and peak RSS. */
async function worker(op: string, a: string, b: string): Promise<void> {
  const start = process.hrtime.bigint();
  if (op === 'apply') {
    // Read as the content store reads a blob.
    await applyLayer({ source: createReadStream(a, { highWaterMark: READ_CHUNK }), target: b, whiteouts: 'overlay' });
  } else if (op === 'diff') {
    const out = createWriteStream(b, { highWaterMark: 4 << 20 });
    await diffOverlayUpper({ upper: a, output: out });
    await new Promise((resolve) => out.end(resolve));
  } else if (op === 'diff-gzip') {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const gz = compress('gzip');
    const done = pipeline(gz, sink);
    await diffOverlayUpper({ upper: a, output: gz });
    gz.end();
    await done;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

function strata(op: string, a: string, b: string): { ms: number; maxRssMb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--worker', op, a, b], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${op} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; maxRssMb: number };
}

function timed(cmd: string): number {
  const start = process.hrtime.bigint();
  execFileSync('bash', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

function writeBig(src: string): void {
  const block = randomBytes(1 << 20);
  const parts: Buffer[] = [];
  for (let i = 0; i < 64; i++) parts.push(block);
  const chunk = Buffer.concat(parts); // 64 MiB
  execFileSync('bash', ['-c', `: > ${join(src, 'big.bin')}`]);
  for (let i = 0; i < 16; i++) writeFileSync(join(src, 'big.bin'), chunk, { flag: 'a' });
}

function writeSmall(src: string): void {
  let n = 0;
  for (let d = 0; d < 200; d++) {
    const dir = join(src, `dir${String(d).padStart(3, '0')}`);
    mkdirSync(dir);
    for (let f = 0; f < 100; f++) {
      const size = 1000 + ((n * 7919) % 14000); // 1-15 KB, ~7.5 KB average
      writeFileSync(join(dir, `file${f}.dat`), randomBytes(size));
      n++;
    }
  }
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-diff-'));
  const rows: string[][] = [];
  try {
    const workloads: Array<[string, (src: string) => void]> = [['20,000 files, ~150 MB', writeSmall]];
    if (only !== 'small') workloads.push(['1 GiB, one file', writeBig]);
    for (const [label, make] of workloads) {
      const src = join(work, 'src');
      execFileSync('rm', ['-rf', src]);
      mkdirSync(src);
      make(src);
      const layer = join(work, 'layer.tar');
      // The layer: strata's own diff of the tree (uncompressed), timed beside `tar -c`.
      const diffRuns = [strata('diff', src, layer)];
      // Both write the layer to a file (with -f /dev/null GNU tar would skip reading the files).
      const tarC = timed(`tar -C ${src} -cf ${join(work, 'gnu.tar')} . && rm ${join(work, 'gnu.tar')}`);
      const size = Number(execFileSync('stat', ['-c', '%s', layer]).toString());
      const applyRuns: Array<{ ms: number; maxRssMb: number }> = [];
      const tarX: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t1 = join(work, `strata${i}`);
        const t2 = join(work, `gnu${i}`);
        mkdirSync(t1);
        mkdirSync(t2);
        execFileSync('sync');
        applyRuns.push(strata('apply', layer, t1));
        execFileSync('sync');
        tarX.push(timed(`tar -xf ${layer} -C ${t2}`));
        execFileSync('rm', ['-rf', t1, t2]);
      }
      const gz = strata('diff-gzip', src, '');
      const gnuGz = timed(`tar -C ${src} -cf - . | gzip -6 > /dev/null`);
      const pigz = timed(`tar -C ${src} -cf - . | pigz -6 > /dev/null`);
      const a = median(applyRuns.map((r) => r.ms));
      const x = median(tarX);
      rows.push([label, `apply (${(size / 1e6).toFixed(0)} MB tar)`, `${a.toFixed(0)} ms`, `tar -x ${x.toFixed(0)} ms`, `${(a / x).toFixed(2)}x`, `${Math.max(...applyRuns.map((r) => r.maxRssMb)).toFixed(0)} MB`]);
      rows.push([label, 'diff to a file', `${diffRuns[0]!.ms.toFixed(0)} ms`, `tar -cf ${tarC.toFixed(0)} ms`, `${(diffRuns[0]!.ms / tarC).toFixed(2)}x`, `${diffRuns[0]!.maxRssMb.toFixed(0)} MB`]);
      rows.push([label, 'diff + gzip -6', `${gz.ms.toFixed(0)} ms`, `tar -c | gzip ${gnuGz.toFixed(0)} ms; | pigz ${pigz.toFixed(0)} ms`, `${(gz.ms / gnuGz).toFixed(2)}x`, `${gz.maxRssMb.toFixed(0)} MB`]);
    }
  } finally {
    execFileSync('rm', ['-rf', work]);
  }
  const head = ['workload', 'step', 'strata', 'GNU tools', 'ratio', 'strata peak RSS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

if (process.argv[2] === '--worker') await worker(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else await main();
