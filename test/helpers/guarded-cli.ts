/**
 * Runs the built CLI in the background with a hang guard: a call still running after
 * `hangMs` is killed (SIGKILL) and reported as hung, with its command line, instead of
 * stalling the test. Start and end are taken on one monotonic clock, so that the order of
 * two calls that did not overlap is known.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { STRATA_BIN, type CliResult } from './strata-cli.ts';

export interface GuardedResult extends CliResult {
  args: string[];
  /** performance.now() before the spawn and when the process had exited. */
  start: number;
  end: number;
  /** Killed by the hang guard. */
  hung: boolean;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
}

export interface GuardOptions {
  hangMs: number;
  env?: Record<string, string>;
}

export function strataGuarded(root: string, args: string[], options: GuardOptions): Promise<GuardedResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, options.hangMs);
    child.once('error', (e) => {
      clearTimeout(guard);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(guard);
      resolve({
        args,
        start,
        end: performance.now(),
        hung,
        signal,
        status: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}
