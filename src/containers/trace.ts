/**
 * Phase timings for `STRATA_TRACE=1` (the run benchmark's breakdown): each mark prints the
 * milliseconds since the process started and since the previous mark, on stderr.
 */
import { performance } from 'node:perf_hooks';

const enabled = process.env['STRATA_TRACE'] === '1';
let last = 0;

export function traceMark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  process.stderr.write(`trace ${now.toFixed(1).padStart(7)} ms  +${(now - last).toFixed(1).padStart(6)}  ${label}\n`);
  last = now;
}
