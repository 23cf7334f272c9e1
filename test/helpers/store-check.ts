/**
 * `system check` for tests of interrupted and racing commands. Such a command may leave whole,
 * verified data nothing references any more (a cancelled pull's finished layers, what an
 * `rmi -f` freed while a lease held it): garbage the next collection or `--repair` removes,
 * which check names as leftovers and exits 1 for. Anything else it says — a problem, a partial
 * write, a lease or a mount — is not garbage and fails the test.
 */
import assert from 'node:assert/strict';
import { strata, strataOk } from './strata-cli.ts';

export const GARBAGE_LINE = /^leftover: (blob|layer|snapshot) \S+( \([^)]*\))?: (nothing references it|no image, container, build cache entry or lease uses it|no layer record or other snapshot needs it)$/;
export const SUMMARY_LINE = /^checked \d+ blob\(s\) and \d+ image\(s\): (OK|\d+ leftover\(s\), which --repair removes)$/;

/** Asserts that a check's output names nothing but garbage. */
export function assertOnlyGarbage(checkOutput: string): void {
  for (const line of checkOutput.trimEnd().split('\n')) {
    assert.ok(GARBAGE_LINE.test(line) || SUMMARY_LINE.test(line), `system check said more than garbage: ${line}\n${checkOutput}`);
  }
}

/** Runs `system check` on `root`: only garbage, which `--repair` removes; then the check is OK. Returns the first check's output. */
export function checkOnlyGarbage(root: string): string {
  const r = strata(root, ['system', 'check']);
  assert.ok(r.status === 0 || r.status === 1, `system check exited ${r.status}: ${r.stderr}${r.stdout}`);
  assertOnlyGarbage(r.stdout);
  if (r.status === 1) strataOk(root, ['system', 'check', '--repair']);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  return r.stdout;
}
