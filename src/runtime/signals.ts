/**
 * Signal names and numbers as docker accepts them for `kill -s`, `--stop-signal` and an
 * image's STOPSIGNAL: `KILL`, `SIGKILL`, `kill`, `9`, `RTMIN+3`.
 */
import { constants } from 'node:os';
import { invalidArgument } from '../errdefs/index.ts';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

export interface Signal {
  /** `SIGTERM`, or `SIGRTMIN+3` for a real-time signal. */
  name: string;
  number: number;
}

const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(constants.signals)) if (!byNumber.has(num)) byNumber.set(num, name);
byNumber.set(6, 'SIGABRT');

/**
 * Parses a signal the way docker's signal.ParseSignal does.
 * @throws invalid-argument `Invalid signal: FOO`.
 */
export function parseSignal(text: string): Signal {
  const raw = text.trim();
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > SIGRTMAX) throw invalidArgument(`Invalid signal: ${text}`);
    return { number: n, name: byNumber.get(n) ?? (n >= SIGRTMIN ? `SIGRTMIN+${n - SIGRTMIN}` : `SIG${n}`) };
  }
  const upper = raw.toUpperCase().replace(/^SIG/, '');
  const rt = /^RT(MIN|MAX)([+-]\d+)?$/.exec(upper);
  if (rt !== null) {
    const offset = Number(rt[2] ?? '0');
    const n = (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + offset;
    if (n < SIGRTMIN || n > SIGRTMAX) throw invalidArgument(`Invalid signal: ${text}`);
    return { number: n, name: `SIGRT${rt[1]}${rt[2] ?? ''}` };
  }
  const num = (constants.signals as Record<string, number>)['SIG' + upper];
  if (num === undefined) throw invalidArgument(`Invalid signal: ${text}`);
  return { number: num, name: 'SIG' + upper };
}

/**
 * The signal `stop` sends first: `--stop-signal`, else the image's STOPSIGNAL, else SIGTERM.
 * @throws invalid-argument `Invalid signal: X` for a bad value.
 */
export function containerStopSignal(image: { StopSignal?: string | null } | undefined, options: { stopSignal?: string }): Signal {
  return parseSignal(options.stopSignal || image?.StopSignal || 'SIGTERM');
}
