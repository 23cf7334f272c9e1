// What several benchmarks share: the median of samples, a one-file image tar (for stores of
// many small images), and a busybox image in strata's store (and in docker's when its daemon
// runs), so each bench measures its own work rather than repeating its set-up.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { TarWriter } from '../src/internal/tar/index.ts';
import { busyboxTree } from '../test/e2e/containers-fixture.ts';
import { STRATA_BIN } from '../test/helpers/strata-cli.ts';

/** The middle sample (the upper one of an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** A tar of one small file whose content says `i`: an image of its own for each `i`. */
export async function tinyTar(i: number): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = new TarWriter(out);
  const body = Buffer.from(`image number ${i}\n`);
  await w.add({ name: `file-${i}.txt`, type: 'file', mode: 0o644, size: body.length, mtime: 0 }, body);
  await w.finish();
  return Buffer.concat(chunks);
}

/**
 * `image` as a busybox rootfs imported into the store `env` names, and into docker's when a
 * docker daemon answers here (the same tar on both sides); whether docker can be measured, and
 * the rootfs directory (for `runc run` of the same tree).
 */
export function importBusybox(dir: string, env: NodeJS.ProcessEnv, image: string): { docker: boolean; tree: string } {
  const tree = busyboxTree(dir);
  const tar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
  execFileSync(STRATA_BIN, ['import', tar, image], { env, stdio: 'ignore' });
  const docker = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
  if (docker && spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status !== 0) execFileSync('docker', ['import', tar, image], { stdio: 'ignore' });
  return { docker, tree };
}
