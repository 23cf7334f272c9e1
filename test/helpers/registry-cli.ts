/**
 * Runs the built CLI without blocking the test process: registry tests serve a token
 * server, a proxy or blob storage from the test process itself, which a synchronous spawn
 * would starve.
 */
import { spawn } from 'node:child_process';
import type { CliResult } from './strata-cli.ts';
import { STRATA_BIN } from './strata-cli.ts';

export interface AsyncCliOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Kill the CLI after this long (default 120 s). */
  timeoutMs?: number;
}

export function strataAsync(root: string, args: string[], options: AsyncCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
