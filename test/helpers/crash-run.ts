// Running the CLI with its crash points armed (STRATA_CRASH_AT, docs/DURABILITY.md), and
// waiting until what a killed command started (a container's supervisor, its exit hook) is done.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { STRATA_BIN } from './strata-cli.ts';

export interface CrashRun {
  status: number | null;
  /** SIGKILL when a crash point killed it. */
  signal: NodeJS.Signals | null;
  pid: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI against `root` with extra environment (STRATA_CRASH_AT, STRATA_CRASH_TRACE). */
export function runCli(root: string, args: string[], env: Record<string, string> = {}): CrashRun {
  const r = spawnSync(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root, ...env }, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, pid: r.pid, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** `runCli` without blocking: several stores can be worked on at once. */
export function runCliAsync(root: string, args: string[], env: Record<string, string> = {}): Promise<CrashRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    // 'close': the output is complete (a container's supervisor may hold it a little longer than the CLI lives).
    child.once('close', (status, signal) => {
      resolve({ status, signal, pid: child.pid ?? 0, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** Processes that name the store (a supervisor, runc, an exit hook's `strata rm`): work still going on. */
export function processesOf(root: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(`${root}/`) || cmdline.includes(`${root}\0`)) found.push(`${pid} ${cmdline.replaceAll('\0', ' ').trim()}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Waits until no process names the store (polling; fails after a minute, naming them). */
export async function quiet(root: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const left = processesOf(root);
    if (left.length === 0) return;
    if (Date.now() > end) throw new Error(`the processes of ${root} did not end: ${left.join('; ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface CheckResult {
  status: number | null;
  /** Its lines but the summary. */
  lines: string[];
  stdout: string;
}

function checkResult(r: CrashRun): CheckResult {
  if (r.stderr !== '') throw new Error(`system check wrote to stderr: ${r.stderr}`);
  return { status: r.status, lines: r.stdout.trim().split('\n').slice(0, -1), stdout: r.stdout };
}

/** `system check` (with `--repair`); it must write nothing to stderr. */
export function checkOf(root: string, repair = false): CheckResult {
  return checkResult(runCli(root, ['system', 'check', ...(repair ? ['--repair'] : [])]));
}

export async function checkOfAsync(root: string, repair = false): Promise<CheckResult> {
  return checkResult(await runCliAsync(root, ['system', 'check', ...(repair ? ['--repair'] : [])]));
}
