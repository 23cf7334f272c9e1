import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const STRATA_BIN = fileURLToPath(new URL('../../bin/strata', import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`bin/strata`, bundled by scripts/build.mjs) against a given store root. */
export function strata(root: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): CliResult {
  const r: SpawnSyncReturns<Buffer> = spawnSync(STRATA_BIN, args, {
    env: { ...process.env, STRATA_ROOT: root, ...options.env },
    input: options.input,
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Runs the CLI and fails the test with its stderr unless it exits 0. */
export function strataOk(root: string, args: string[], options: { input?: string | Buffer } = {}): string {
  const r = strata(root, args, options);
  if (r.status !== 0) throw new Error(`strata ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stderr === '' ? r.stdout : ''}`);
  return r.stdout;
}
