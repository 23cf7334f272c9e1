/**
 * Ctrl-C (SIGINT) and SIGTERM as docker's CLI (28) takes them, for the commands that can
 * stop cleanly: the first one cancels the command, which stops and removes what it had
 * written; it then exits with 128 + the signal's number (130, 143) and prints nothing. A
 * second one is ignored, so that the clean-up finishes; a third exits at once (`got 3
 * SIGTERM/SIGINTs, forcefully exiting`, status 1), leaving what a crash leaves (`system
 * check --repair` clears it). Commands that never ask keep Node's default: the signal ends
 * them where they are.
 */
import { constants } from 'node:os';
import { PassThrough, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StrataError } from '../errdefs/index.ts';

const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** docker's CLI gives up waiting for a clean stop at the third signal. */
const FORCE_EXIT_AT = 3;

class Interrupts {
  private readonly controller = new AbortController();
  private count = 0;
  /** The signal that canceled the command, once one came. */
  first: NodeJS.Signals | undefined;

  constructor(private readonly stderr: NodeJS.WritableStream) {
    for (const name of TERMINATION_SIGNALS) process.on(name, this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private readonly onSignal = (name: NodeJS.Signals): void => {
    this.count++;
    if (this.count === 1) {
      this.first = name;
      this.controller.abort(new StrataError('canceled', `canceled by ${name}`));
    } else if (this.count >= FORCE_EXIT_AT) {
      this.stderr.write(`\ngot ${FORCE_EXIT_AT} SIGTERM/SIGINTs, forcefully exiting\n`);
      process.exit(1);
    }
  };
}

let trapped: Interrupts | undefined;

/** From now on, SIGINT and SIGTERM cancel through the returned signal instead of ending the process. */
export function cancelOnInterrupt(stderr: NodeJS.WritableStream = process.stderr): AbortSignal {
  trapped ??= new Interrupts(stderr);
  return trapped.signal;
}

/** The exit status of a command a signal canceled (128 + its number), if one did. */
export function interruptedStatus(): number | undefined {
  const name = trapped?.first;
  return name === undefined ? undefined : 128 + constants.signals[name];
}

/**
 * Until the returned function is called, an abort of `signal` destroys `stream` (with the
 * abort's reason): a read from a slow stdin or a write to a pipe nobody drains fails at
 * once, and the command's own clean-up runs (a temporary file removed, a helper stopped,
 * a container thawed, its layers unmounted).
 */
export function destroyOnAbort(stream: { destroy(error?: Error): unknown }, signal: AbortSignal): () => void {
  const stop = (): void => {
    stream.destroy(signal.reason as Error);
  };
  signal.addEventListener('abort', stop, { once: true });
  return () => signal.removeEventListener('abort', stop);
}

/**
 * `produce`, writing into a stream of its own that an abort of `signal` destroys, and that
 * passes what it gets on to the real output. (process.stdout itself can't be destroyed:
 * Node revives it, so a producer between two writes would go on, and wait forever for a
 * reader that stopped reading.)
 */
export function stoppable(signal: AbortSignal, produce: (out: Writable) => Promise<void>): (out: Writable) => Promise<void> {
  return async (out) => {
    const own = new PassThrough();
    // Its errors reach the producer through its writes, and us through `finished`.
    own.on('error', () => undefined);
    const onOutputError = (err: Error): void => {
      own.destroy(err);
    };
    out.on('error', onOutputError);
    own.pipe(out, { end: false });
    const release = destroyOnAbort(own, signal);
    try {
      await produce(own);
      own.end();
      // Every byte handed on to the output.
      await finished(own);
    } finally {
      release();
      own.unpipe(out);
      out.off('error', onOutputError);
    }
  };
}
