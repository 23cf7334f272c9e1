// processAlive decides whether a lease, a partial write, a temporary snapshot or a build's
// scratch directory still has an owner: a process that exited but was not reaped yet (a
// zombie, as a killed CLI stays until its parent waits for it) has none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { processAlive } from '../../../src/internal/process-alive.ts';

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

test('a running process is alive; one that exited is not, reaped or a zombie', async () => {
  // A background subshell exits once its parent has become `sleep` ($$ is the parent's pid
  // in a subshell), which never reaps it.
  const script = '(while [ "$(cat /proc/$$/comm)" != sleep ]; do sleep 0.01; done) & echo $!; exec sleep 60';
  const parent = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const child = Number(line.toString().trim());
    assert.ok(child > 0);
    for (let i = 0; i < 1000 && state(child) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(state(child), 'Z', 'the child is a zombie');
    assert.equal(processAlive(child), false);
    assert.equal(processAlive(parent.pid as number), true);
    assert.equal(processAlive(process.pid), true);
  } finally {
    parent.kill('SIGKILL');
    await once(parent, 'exit');
  }
  assert.equal(processAlive(parent.pid as number), false, 'reaped');
});
