/**
 * STOPSIGNAL values as moby's signal.ParseSignal reads them on Linux: a number, or a name with
 * or without `SIG` in any case (`SIGTERM`, `term`, `RTMIN+3`).
 */
import { DetailError } from './errors.ts';

const SIGNALS: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6,
  KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30, QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31,
  TERM: 15, TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26, WINCH: 28,
  XCPU: 24, XFSZ: 25, RTMIN: 34, RTMAX: 64,
};
for (let i = 1; i <= 15; i++) SIGNALS[`RTMIN+${i}`] = 34 + i;
for (let i = 1; i <= 14; i++) SIGNALS[`RTMAX-${i}`] = 64 - i;

/** The signal number; throws `invalid signal: …` as docker does. */
export function parseSignal(raw: string): number {
  if (/^[+-]?[0-9]+$/.test(raw)) {
    const n = Number(raw);
    if (n === 0 || !Number.isSafeInteger(n)) throw new DetailError(`invalid signal: ${raw}`);
    return n;
  }
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper.slice(3) : upper;
  const sig = Object.hasOwn(SIGNALS, name) ? SIGNALS[name] : undefined;
  if (sig === undefined) throw new DetailError(`invalid signal: ${raw}`);
  return sig;
}
