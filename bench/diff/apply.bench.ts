// Applying and diffing layers, beside GNU tar on the same bytes: a 20,000-file ~150 MB layer and
// a 1 GiB one-file layer. Each strata step runs in its own process so its peak RSS can be
// reported (target: under 200 MB whatever the layer size); apply's target is within 1.3x of
// `tar -x` of the same uncompressed tar.
//
//   node --import tsx bench/diff/apply.bench.ts            both workloads
//   node --import tsx bench/diff/apply.bench.ts small      only the 20,000-file one
//   ROUNDS=9 …                                             more rounds (default 7; 3 for 1 GiB)
//
// Where: a new ext4 filesystem on a loop device over a file on the machine's disk (direct I/O,
// so the page cache holds each block once), and a tmpfs (no device: CPU only). Both are made
// fresh for the run because ext4 searches the inode bitmaps past every inode deleted in the
// last minutes before it reuses one: a tree of 20,000 files applied right after another was
// deleted took GNU tar anywhere from 0.5 to 7 s of system time on the same disk. So no tree is
// removed while the rounds run either. Without root (no mount), the temp directory is used.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { READ_CHUNK } from '../../src/content/index.ts';
import { applyLayer, compress, diffOverlayUpper } from '../../src/diff/index.ts';

const self = new URL(import.meta.url).pathname;
const ROUNDS = Number(process.env.ROUNDS ?? 7);

interface Run {
  ms: number;
  maxRssMb: number;
}

/** Worker mode: one strata operation, then a JSON line with its time and peak RSS. */
async function worker(op: string, a: string, b: string): Promise<void> {
  const start = process.hrtime.bigint();
  if (op === 'apply-file') {
    // As image mount extracts a blob from the content store, verifying its diff_id.
    await applyLayer({ source: { file: a }, target: b, whiteouts: 'overlay' });
  } else if (op === 'apply-load') {
    // As load extracts a blob it has just stored and measured: not hashed a second time.
    await applyLayer({ source: { file: a }, target: b, whiteouts: 'overlay', computeDiffId: false });
  } else if (op === 'apply-stream') {
    // As a pull extracts what arrives (here uncompressed, read as the content store streams a blob).
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

function strata(op: string, a: string, b: string): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--worker', op, a, b], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${op} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

function sh(cmd: string): string {
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function timed(cmd: string): number {
  const start = process.hrtime.bigint();
  sh(cmd);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

interface Scratch {
  label: string;
  dir: string;
  cleanup(): void;
}

/** The filesystems to measure on (see the header comment), each new and empty. */
function scratchFilesystems(work: string): Scratch[] {
  const fallback = (): Scratch[] => [{ label: `the temp dir (${sh(`df --output=fstype ${work} | tail -1`)})`, dir: join(work, 'tmp'), cleanup: () => undefined }];
  if (process.getuid?.() !== 0) return fallback();
  const out: Scratch[] = [];
  try {
    const img = join(work, 'ext4.img');
    const mnt = join(work, 'ext4');
    mkdirSync(mnt);
    sh(`truncate -s 40G ${img}`);
    const dev = sh(`losetup --direct-io=on -f --show ${img}`);
    sh(`mkfs.ext4 -q -F ${dev} && mount ${dev} ${mnt}`);
    out.push({ label: `ext4 on a loop device on the disk (${sh(`df --output=source ${work} | tail -1`)})`, dir: mnt, cleanup: () => sh(`umount ${mnt}; losetup -d ${dev}; rm -f ${img}`) });
    const tmpfs = join(work, 'tmpfs');
    mkdirSync(tmpfs);
    sh(`mount -t tmpfs -o size=12g tmpfs ${tmpfs}`);
    out.push({ label: 'tmpfs', dir: tmpfs, cleanup: () => sh(`umount ${tmpfs}`) });
  } catch (err) {
    console.error(`bench: cannot make scratch filesystems (${(err as Error).message.split('\n')[0]}); using the temp dir`);
    for (const s of out) s.cleanup();
    return fallback();
  }
  return out;
}

function writeBig(src: string): void {
  const block = randomBytes(1 << 20);
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => block)); // 64 MiB
  writeFileSync(join(src, 'big.bin'), '');
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

const rows: string[][] = [];
function row(workload: string, where: string, step: string, strataMs: number, gnu: string, gnuMs: number, rss: number): void {
  rows.push([workload, where, step, `${strataMs.toFixed(0)} ms`, gnu, `${(strataMs / gnuMs).toFixed(2)}x`, `${rss.toFixed(0)} MB`]);
  process.stderr.write(`${rows.at(-1)!.join(' | ')}\n`);
}

/** Apply rounds on one filesystem, interleaved with tar's; every round into new directories. */
function applyRounds(label: string, fs: Scratch, layer: string, rounds: number, removeEachRound: boolean, tag: string): void {
  const runs: Record<'apply-file' | 'apply-load' | 'apply-stream', Run[]> = { 'apply-file': [], 'apply-load': [], 'apply-stream': [] };
  const tarX: number[] = [];
  for (let i = 0; i < rounds; i++) {
    process.stderr.write(`${label}, ${fs.label}: round ${i + 1} of ${rounds}\n`);
    for (const op of ['apply-file', 'apply-load', 'apply-stream'] as const) {
      const t = join(fs.dir, `${tag}-${op}-${i}`);
      mkdirSync(t);
      sh('sync');
      runs[op].push(strata(op, layer, t));
      if (removeEachRound) sh(`rm -rf ${t}`);
    }
    const g = join(fs.dir, `${tag}-tar-${i}`);
    mkdirSync(g);
    sh('sync');
    tarX.push(timed(`tar -xf ${layer} -C ${g}`));
    if (removeEachRound) sh(`rm -rf ${g}`);
  }
  sh(`rm -rf ${join(fs.dir, tag)}-*`); // measured: now they may go
  const x = median(tarX);
  const size = (statSync(layer).size / 1e6).toFixed(0);
  const hows = [['apply-file', 'from its file'], ['apply-load', 'from its file, hashed already (load)'], ['apply-stream', 'as a stream']] as const;
  for (const [op, how] of hows) {
    const a = runs[op];
    row(label, fs.label, `apply ${size} MB tar ${how}`, median(a.map((r) => r.ms)), `tar -x ${x.toFixed(0)} ms`, x, Math.max(...a.map((r) => r.maxRssMb)));
  }
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-diff-'));
  const filesystems = scratchFilesystems(work);
  try {
    for (const fs of filesystems) mkdirSync(fs.dir, { recursive: true });
    const workloads: Array<[string, (src: string) => void, number, boolean]> = [['20,000 files, ~150 MB', writeSmall, ROUNDS, false]];
    if (only !== 'small') workloads.push(['1 GiB, one file', writeBig, Math.min(ROUNDS, 3), true]);
    for (const [label, make, rounds, removeEachRound] of workloads) {
      const home = filesystems[0]!.dir;
      const src = join(home, `src-${rows.length}`);
      mkdirSync(src);
      make(src);
      const layer = join(home, `layer-${rows.length}.tar`);
      // The layer: strata's own diff of the tree (uncompressed), timed beside `tar -c` of the
      // same tree, both after a first read of it, so both find it in the page cache.
      sh(`tar -C ${src} -cf - . | cat > /dev/null`); // (-f /dev/null would make GNU tar skip reading)
      const diff = strata('diff', src, layer);
      const tarC = timed(`tar -C ${src} -cf ${join(home, 'gnu.tar')} . && rm ${join(home, 'gnu.tar')}`);
      for (const fs of filesystems) {
        const copy = fs.dir === home ? layer : join(fs.dir, `layer-${rows.length}.tar`);
        if (copy !== layer) sh(`cp ${layer} ${copy}`);
        applyRounds(label, fs, copy, rounds, removeEachRound, `w${rows.length}`);
        if (copy !== layer) sh(`rm -f ${copy}`);
      }
      const gz = strata('diff-gzip', src, '');
      const gnuGz = timed(`tar -C ${src} -cf - . | gzip -6 > /dev/null`);
      const pigz = timed(`tar -C ${src} -cf - . | pigz -6 > /dev/null`);
      row(label, filesystems[0]!.label, 'diff to a file', diff.ms, `tar -cf ${tarC.toFixed(0)} ms`, tarC, diff.maxRssMb);
      row(label, filesystems[0]!.label, 'diff + gzip -6', gz.ms, `tar -c | gzip ${gnuGz.toFixed(0)} ms; | pigz ${pigz.toFixed(0)} ms`, gnuGz, gz.maxRssMb);
      sh(`rm -rf ${src} ${layer}`);
    }
  } finally {
    for (const fs of filesystems) fs.cleanup();
    sh(`rm -rf ${work}`);
  }
  const head = ['workload', 'filesystem', 'step', 'strata', 'GNU tools', 'ratio', 'strata peak RSS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

if (process.argv[2] === '--worker') await worker(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else await main();
