/**
 * Failpoints, for tests of crashes and races at exact points of an operation. With
 * `STRATA_FAILPOINT=<text>`, the first point whose label contains the text prints
 * `failpoint <label>` on stderr and blocks the whole process there (not just this task):
 * until it is killed (a crash test), or, with `STRATA_FAILPOINT_RESUME=<file>`, until that
 * file exists (a race test does its other command meanwhile). Without the variable a point
 * costs one string comparison.
 */
import { existsSync } from 'node:fs';

const wanted = process.env['STRATA_FAILPOINT'] ?? '';
const resumeFile = process.env['STRATA_FAILPOINT_RESUME'] ?? '';
/** How long a point blocks at most: a test that forgets the process must not leave it forever. */
const MAX_BLOCK_MS = 10 * 60_000;
let reached = false;

export function failpoint(label: string): void {
  if (wanted === '' || reached || !label.includes(wanted)) return;
  reached = true;
  process.stderr.write(`failpoint ${label}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + MAX_BLOCK_MS;
  while (Date.now() < end) {
    if (resumeFile !== '' && existsSync(resumeFile)) return;
    Atomics.wait(cell, 0, 0, resumeFile === '' ? end - Date.now() : 10);
  }
}
