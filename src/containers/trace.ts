/**
 * Phase marks: with `STRATA_TRACE=1` each prints the milliseconds since the process started
 * and since the previous mark on stderr (the run benchmark's breakdown). With
 * `STRATA_FAILPOINT=<text>`, the first mark whose label contains the text prints
 * `failpoint <label>` and blocks the process there, so crash tests can `kill -9` it at an
 * exact point of an operation.
 */

const enabled = process.env['STRATA_TRACE'] === '1';
const failpoint = process.env['STRATA_FAILPOINT'] ?? '';
let last = 0;

export function traceMark(label: string): void {
  if (enabled) {
    const now = performance.now();
    process.stderr.write(`trace ${now.toFixed(1).padStart(7)} ms  +${(now - last).toFixed(1).padStart(6)}  ${label}\n`);
    last = now;
  }
  if (failpoint !== '' && label.includes(failpoint)) {
    process.stderr.write(`failpoint ${label}\n`);
    // Block the whole process (not just this task) until it is killed.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 * 60_000);
  }
}
