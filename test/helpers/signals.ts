/**
 * Real signals for tests, sent the way a person or a supervisor sends them, and the
 * kernel's view of them (/proc/PID/status): whether one is still pending, whether a process
 * is stopped. A signal sent again before the first was taken merges with it; tests that
 * mean two presses wait for the first to be taken, or send one to a thread (tgkill) and
 * one to the process, which the kernel keeps apart.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import koffi from 'koffi';

export type TerminationSignal = 'SIGINT' | 'SIGTERM';

/** What a shell shows for a command a signal stopped: 128 + the signal's number. */
export function signalStatus(sig: TerminationSignal): number {
  return 128 + constants.signals[sig];
}

function status(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** True while `sig`, sent to process `pid` as a whole, has not been taken by it yet. */
export function pending(pid: number, sig: TerminationSignal): boolean {
  const text = status(pid);
  // A process that died (a zombie not reaped yet) takes no more signals.
  if (text === undefined || /^State:\s*Z/m.test(text)) return false;
  const mask = BigInt(`0x${/^ShdPnd:\s*([0-9a-f]+)/m.exec(text)?.[1] ?? '0'}`);
  return (mask & (1n << BigInt(constants.signals[sig] - 1))) !== 0n;
}

/** True once process `pid` is stopped (SIGSTOP). */
export function stopped(pid: number): boolean {
  return /^State:\s*T/m.test(status(pid) ?? '');
}

let tgkillCall: ((tgid: number, tid: number, sig: number) => number) | undefined;

/** `sig` for one thread of process `pid` (its main thread has the process's ID). */
export function tgkill(pid: number, tid: number, sig: TerminationSignal): void {
  tgkillCall ??= koffi.load('libc.so.6').func('int tgkill(int tgid, int tid, int sig)') as (tgid: number, tid: number, sig: number) => number;
  if (tgkillCall(pid, tid, constants.signals[sig]) !== 0) throw new Error(`tgkill(${pid}, ${tid}, ${sig}) failed`);
}

/**
 * Ctrl-C: SIGINT to the process group `pid` leads, as a terminal sends it (the command's
 * helpers get it too). SIGTERM: to the process alone, as `kill PID` sends it. Resolves once
 * the process has taken the signal (or is gone), so that a next one is a separate press.
 */
export async function interrupt(pid: number, sig: TerminationSignal): Promise<void> {
  try {
    process.kill(sig === 'SIGINT' ? -pid : pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    return;
  }
  while (pending(pid, sig)) await new Promise((r) => setTimeout(r, 5));
}
