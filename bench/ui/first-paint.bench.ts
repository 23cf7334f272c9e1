// `strata ui`'s first paint with 200 images: a store where 200 images share a base layer
// (each adds one small layer), `strata ui` on it, and Debian's chromium opening the URL in a
// fresh context each time (nothing cached). Prints medians: the browser's first contentful
// paint, and the time until the images table shows all 200 rows; the API's /api/images
// alone for comparison. Not a test: run it with
//   node --import tsx bench/ui/first-paint.bench.ts
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { busyboxLayer, writeLayeredArchive } from '../../test/helpers/layered-archive.ts';

const STRATA = new URL('../../bin/strata', import.meta.url).pathname;
const IMAGES = 200;
const RUNS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strata-bench-ui-'));
  const root = join(work, 'root');
  const server = { proc: undefined as ReturnType<typeof spawn> | undefined };
  try {
    process.stderr.write(`loading ${IMAGES} images…\n`);
    for (let i = 0; i < IMAGES; i++) {
      const archive = join(work, `image${i}.tar`);
      await writeLayeredArchive(archive, [busyboxLayer(), [{ name: `app${i}.txt`, type: 'file', body: Buffer.from(`image ${i}\n`.repeat(i + 1)) }]], `bench/ui${i}:1`);
      execFileSync(STRATA, ['--root', root, 'load', '-q', '-i', archive], { stdio: 'ignore' });
      rmSync(archive);
    }
    const proc = spawn(STRATA, ['--root', root, 'ui', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    server.proc = proc;
    const url = await new Promise<URL>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /http:\/\/\S+\?token=[0-9a-f]+/.exec(out);
        if (m) resolve(new URL(m[0]));
      });
      proc.on('exit', (code) => reject(new Error(`strata ui exited ${code}`)));
    });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const fcp: number[] = [];
    const table: number[] = [];
    const api: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(url.href);
      await page.locator('table.images tbody tr').nth(IMAGES - 1).waitFor();
      table.push(Date.now() - started);
      fcp.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
      api.push(await page.evaluate(async () => {
        const t0 = performance.now();
        await (await fetch('/api/images')).json();
        return performance.now() - t0;
      }));
      await context.close();
    }
    await browser.close();
    console.log(`| ${IMAGES} images, median of ${RUNS} (ms) | first contentful paint | table with all rows (from navigation, token redirect included) | GET /api/images |`);
    console.log('| --- | --- | --- | --- |');
    console.log(`| strata ui | ${median(fcp).toFixed(0)} | ${median(table).toFixed(0)} | ${median(api).toFixed(1)} |`);
  } finally {
    server.proc?.kill('SIGINT');
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
