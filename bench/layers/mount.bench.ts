// Mounting and unmounting the union view of a 10-layer image (`image mount` / `image
// unmount`), through the CLI (start-up included) and in-process (the mount itself).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, mountImage, unmountImage } from '../../src/engine/index.ts';
import { busyboxLayer, writeLayeredArchive, type LayerEntry } from '../../test/helpers/layered-archive.ts';

const STRATA = new URL('../../bin/strata', import.meta.url).pathname;
const RUNS = Number(process.env['RUNS'] ?? 20);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const work = mkdtempSync(join(tmpdir(), 'strata-bench-mount-'));
try {
  const layers: LayerEntry[][] = [busyboxLayer()];
  for (let i = 1; i < 10; i++) layers.push([{ name: `layer${i}/`, type: 'directory' }, { name: `layer${i}/file`, type: 'file', body: Buffer.alloc(4096, i) }]);
  await writeLayeredArchive(join(work, 'ten.tar'), layers, 'bench/ten:1');
  const root = join(work, 'root');
  const env = { ...process.env, STRATA_ROOT: root };
  spawnSync(STRATA, ['load', '-i', join(work, 'ten.tar')], { env, stdio: 'ignore' });
  const cli: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(STRATA, ['image', 'mount', 'bench/ten:1'], { env, stdio: 'ignore' });
    spawnSync(STRATA, ['image', 'unmount', 'bench/ten:1'], { env, stdio: 'ignore' });
    cli.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const engine = Engine.open({ root });
  const id = engine.images.resolve('bench/ten:1');
  const inProcess: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await mountImage(engine, id);
    unmountImage(engine, id);
    inProcess.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  engine.close();
  console.log(`10-layer image, median of ${RUNS}, ms`);
  console.log(`image mount + image unmount via the CLI   ${median(cli).toFixed(1)}`);
  console.log(`mount + unmount in-process                ${median(inProcess).toFixed(1)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
