// src/cli/interrupt.ts with real signals, in a child process whose "clean-up" never ends
// (so only the rules decide when it exits): the first SIGINT or SIGTERM cancels and sets the
// exit status (130, 143), the second is ignored, the third exits at once with docker's line;
// and a producer writing to stdout is stopped by the first, wherever it is. The commands
// that use it are tested end to end in test/e2e/signals.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { interrupt, signalStatus, type TerminationSignal } from '../../helpers/signals.ts';

const MODULE = new URL('../../../src/cli/interrupt.ts', import.meta.url).href;

interface Child {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** A process that asks for cancellation (unless `trap` is false) and then waits forever. */
async function startChild(trap = true): Promise<Child> {
  const script = trap
    ? `import { cancelOnInterrupt, interruptedStatus } from ${JSON.stringify(MODULE)};
       const signal = cancelOnInterrupt();
       signal.addEventListener('abort', () => process.stdout.write(\`canceled \${interruptedStatus()} \${signal.reason.code}\\n\`));
       setInterval(() => undefined, 60_000);
       process.stdout.write('ready\\n');`
    : `setInterval(() => undefined, 60_000); process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await waitForOutput(() => out, 'ready\n');
  return { child, out: () => out, err: () => err, exited };
}

async function waitForOutput(read: () => string, expected: string): Promise<void> {
  while (!read().includes(expected)) await new Promise((r) => setTimeout(r, 10));
}

/** One press, taken by the child before the next is sent (its process group is its own). */
function send(c: Child, sig: TerminationSignal): Promise<void> {
  return interrupt(c.child.pid as number, sig);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`the first ${sig} cancels with status ${signalStatus(sig)}; the second is ignored; the third exits 1 at once`, { timeout: 60_000 }, async () => {
    const c = await startChild();
    await send(c, sig);
    await waitForOutput(c.out, `canceled ${signalStatus(sig)} canceled\n`);
    // The second press while the clean-up runs: nothing happens.
    await send(c, sig === 'SIGINT' ? 'SIGTERM' : 'SIGINT');
    assert.equal(c.child.exitCode, null, 'still cleaning up after the second press');
    await send(c, sig);
    const [code, signal] = await c.exited;
    assert.equal(signal, null);
    assert.equal(code, 1);
    assert.equal(c.err(), '\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n');
    assert.equal(c.out(), `ready\ncanceled ${signalStatus(sig)} canceled\n`, 'the first signal decided the status');
  });
}

test('a command that never asked keeps the default: SIGINT ends it where it is', { timeout: 60_000 }, async () => {
  const c = await startChild(false);
  process.kill(c.child.pid as number, 'SIGINT');
  const [code, signal] = await c.exited;
  assert.equal(code, null);
  assert.equal(signal, 'SIGINT');
});

test('Ctrl-C stops a producer writing to stdout even between two writes (Node revives a destroyed stdout)', { timeout: 60_000 }, async () => {
  // A producer as the tar writer is: it checks its output before each write, and mostly
  // waits on something else (reading a layer) between them.
  const script = `import { cancelOnInterrupt, stoppable } from ${JSON.stringify(MODULE)};
    const produce = stoppable(cancelOnInterrupt(), async (out) => {
      process.stderr.write('writing\\n');
      for (;;) {
        if (out.destroyed) throw Object.assign(new Error('output closed'), { code: 'canceled' });
        out.write(Buffer.alloc(4096));
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    produce(process.stdout).then(() => process.exit(0), (err) => {
      process.stderr.write(\`stopped: \${err.code}\\n\`);
      process.exit(130);
    });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let err = '';
  child.stdout?.resume();
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await waitForOutput(() => err, 'writing\n');
  await interrupt(child.pid as number, 'SIGINT');
  const [code, signal] = await exited;
  assert.equal(signal, null);
  assert.equal(err, 'writing\nstopped: canceled\n');
  assert.equal(code, 130);
});
