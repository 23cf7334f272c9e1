// Crash points: STRATA_CRASH_AT kills the process (SIGKILL) at the n-th hit of a point or of
// any point, STRATA_CRASH_TRACE lists the hits, and neither reaches the processes it starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCrashPlan } from '../../../src/internal/crash-point.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const MODULE = fileURLToPath(new URL('../../../src/internal/crash-point.ts', import.meta.url));

/** Runs a script that hits crash points in order, printing each after it passed it, then what a child sees of the variables. */
function hits(points: string[], env: Record<string, string>): { signal: NodeJS.Signals | null; stdout: string } {
  const script = [
    `const { crashPoint } = await import(${JSON.stringify(MODULE)});`,
    `for (const p of ${JSON.stringify(points)}) { crashPoint(p); console.log(p); }`,
    "const { execFileSync } = await import('node:child_process');",
    "process.stdout.write(execFileSync('sh', ['-c', 'echo child sees \"$STRATA_CRASH_AT$STRATA_CRASH_TRACE\"']));",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env } });
  return { signal: r.signal, stdout: r.stdout.toString() };
}

test('any:<n> kills at the n-th step of any kind, <name>:<n> at the n-th hit of that point', () => {
  const steps = ['blob-write', 'blob-publish', 'db-commit', 'blob-write', 'db-commit'];
  const any = hits(steps, { STRATA_CRASH_AT: 'any:3' });
  assert.deepEqual([any.signal, any.stdout], ['SIGKILL', 'blob-write\nblob-publish\n']);
  const named = hits(steps, { STRATA_CRASH_AT: 'db-commit:2' });
  assert.deepEqual([named.signal, named.stdout], ['SIGKILL', 'blob-write\nblob-publish\ndb-commit\nblob-write\n']);
  const beyond = hits(steps, { STRATA_CRASH_AT: 'any:6' });
  assert.deepEqual([beyond.signal, beyond.stdout], [null, `${steps.join('\n')}\nchild sees \n`]);
});

test('the trace lists every hit, and children inherit neither variable', () => {
  const trace = join(tempDir(), 'trace');
  const r = hits(['mount', 'unmount', 'mount'], { STRATA_CRASH_TRACE: trace, STRATA_CRASH_AT: 'snapshot-commit:1' });
  assert.equal(r.signal, null);
  assert.equal(r.stdout, 'mount\nunmount\nmount\nchild sees \n');
  assert.equal(readFileSync(trace, 'utf8'), 'mount\nunmount\nmount\n');
});

test('a plan that names no point, or no hit, is refused naming the variable and the points', () => {
  assert.deepEqual(parseCrashPlan('any:12'), { point: 'any', hit: 12 });
  assert.deepEqual(parseCrashPlan('blob-publish:1'), { point: 'blob-publish', hit: 1 });
  for (const bad of ['any', 'any:0', 'any:-1', 'blob:1', 'db-commit:x', ' any:1']) {
    const error = parseCrashPlan(bad);
    assert.equal(typeof error, 'string', bad);
    assert.match(error as string, new RegExp(`^STRATA_CRASH_AT="${bad.replace(/[-+]/g, '\\$&')}": expected <point>:<n> \\(n from 1\\), where <point> is any or one of blob-write, `));
  }
});
