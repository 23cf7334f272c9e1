// The pool that keeps apply's and hash's worker threads for the next layer: what was put back
// is taken again, and ended once nothing took it for the idle time (a long-running service
// must not keep the threads and their rings resident).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { IdlePool } from '../../../src/diff/idle-pool.ts';
import { eventually } from '../../helpers/eventually.ts';

test('an item put back is taken again; one left idle is ended, and a real thread with it', async () => {
  const exited: number[] = [];
  const pool = new IdlePool<Worker>((w) => void w.terminate(), 50);
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  worker.once('exit', (code) => exited.push(code));
  worker.unref();
  pool.put(worker);
  assert.equal(pool.take(), worker, 'reused while idle');
  assert.equal(pool.size, 0);
  pool.put(worker);
  await eventually(() => (exited.length > 0 ? true : undefined), 10_000, 'the idle thread to end');
  assert.equal(pool.size, 0);
});

test('drain ends everything kept at once', () => {
  const ended: string[] = [];
  const pool = new IdlePool<string>((s) => ended.push(s));
  pool.put('a');
  pool.put('b');
  pool.drain();
  assert.deepEqual(ended.sort(), ['a', 'b']);
  assert.equal(pool.take(), undefined);
});
