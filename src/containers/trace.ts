/**
 * Phase marks: with `STRATA_TRACE=1` each prints the milliseconds since the process started
 * and since the previous mark on stderr (the run benchmark's breakdown). Each mark is also a
 * failpoint (`STRATA_FAILPOINT`, see internal/failpoint.ts), so crash and race tests can
 * stop the process at an exact point of an operation.
 */
import { failpoint } from '../internal/index.ts';

const enabled = process.env['STRATA_TRACE'] === '1';
let last = 0;

export function traceMark(label: string): void {
  if (enabled) {
    const now = performance.now();
    process.stderr.write(`trace ${now.toFixed(1).padStart(7)} ms  +${(now - last).toFixed(1).padStart(6)}  ${label}\n`);
    last = now;
  }
  failpoint(label);
}
