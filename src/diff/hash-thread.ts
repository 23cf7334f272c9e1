/**
 * A thread that computes the sha256 of a layer stream as it passes through a ring of shared
 * memory (file-sink.ts owns the ring). Hashing a stream cannot be split, and on the thread
 * that writes the files it would add its time to theirs: a 1 GiB file took hash + write one
 * after the other. Here it runs beside both the parser and the writer.
 *
 * No messages pass during a stream, only shared words: the main thread publishes how far the
 * stream goes (`advance`), the thread publishes how far it has hashed; a job starts with one
 * message and ends when the main thread says the stream is complete (`finish`) or abandons it.
 */
import { Worker } from 'node:worker_threads';
import type * as Crypto from 'node:crypto';
import type * as WorkerThreads from 'node:worker_threads';
import { StrataError } from '../errdefs/index.ts';
import { IdlePool } from './idle-pool.ts';

/**
 * Int32 words: [SEQ] bumped at every change the main thread makes, [STATE] the job's state,
 * [SLEEPING] the thread waits for SEQ, [WAITING] the main thread waits for HASHED (a notify
 * costs a system call, so each side wakes the other only when it sleeps).
 */
const SEQ = 0;
const STATE = 1;
const SLEEPING = 2;
const WAITING = 3;
/** BigInt64 words: [END] stream bytes available, [HASHED] stream bytes hashed. */
const END = 0;
const HASHED = 1;
/** Bytes gathered before a sleeping thread is woken. */
const WAKE_EVERY = 1 << 20;
/** STATE values: 0 idle, 1 hashing, 2 finish asked, 3 abandon asked, 4 digest ready, 5 dead. */
const IDLE = 0;
const HASHING = 1;
const FINISH = 2;
const ABANDON = 3;
const READY = 4;
const DEAD = 5;

/**
 * The thread's code, run from source text (`eval`), so it needs no file of its own in the
 * bundle. It may use only the modules it loads with `load` (the worker's `require`).
 */
function hashWorker(load: (id: string) => unknown): void {
  const { parentPort, workerData } = load('node:worker_threads') as typeof WorkerThreads;
  const crypto = load('node:crypto') as typeof Crypto;
  const shared = workerData as { words: SharedArrayBuffer; offsets: SharedArrayBuffer; digest: SharedArrayBuffer; ring: SharedArrayBuffer };
  const words = new Int32Array(shared.words);
  const offsets = new BigInt64Array(shared.offsets);
  const digest = new Uint8Array(shared.digest);
  const ring = new Uint8Array(shared.ring);
  const size = ring.length;
  // 0..5: IDLE, HASHING, FINISH, ABANDON, READY, DEAD; words 0..3: SEQ, STATE, SLEEPING,
  // WAITING (this source cannot see the module's constants).
  const settle = (state: number): void => {
    Atomics.store(words, 1, state);
    Atomics.notify(words, 1);
    Atomics.notify(offsets, 1); // a main thread waiting for progress must look at the state too
  };
  process.on('uncaughtException', () => settle(5));
  parentPort!.on('message', () => {
    const hash = crypto.createHash('sha256');
    let hashed = 0;
    for (;;) {
      const seq = Atomics.load(words, 0);
      const end = Number(Atomics.load(offsets, 0));
      if (end > hashed) {
        // Progress is published every MiB, so the ring frees up as the hash goes.
        const to = Math.min(end, hashed + (1 << 20));
        while (hashed < to) {
          const at = hashed % size;
          const n = Math.min(to - hashed, size - at);
          hash.update(ring.subarray(at, at + n));
          hashed += n;
        }
        Atomics.store(offsets, 1, BigInt(hashed));
        if (Atomics.load(words, 3) !== 0) Atomics.notify(offsets, 1);
        continue;
      }
      const state = Atomics.load(words, 1);
      if (state === 3) return settle(0);
      if (state === 2) {
        digest.set(hash.digest());
        return settle(4);
      }
      Atomics.store(words, 2, 1);
      if (Atomics.load(words, 0) === seq) Atomics.wait(words, 0, seq);
      Atomics.store(words, 2, 0);
    }
  });
}

/** One hashing thread over a ring; see the module comment. Kept with its ring for the next stream. */
export class HashThread {
  private readonly words = new Int32Array(new SharedArrayBuffer(16));
  private readonly offsets = new BigInt64Array(new SharedArrayBuffer(16));
  private readonly digestBytes = new Uint8Array(new SharedArrayBuffer(32));
  private readonly worker: Worker;
  /** The stream end the thread was last told of. */
  private announced = 0;

  constructor(ring: SharedArrayBuffer) {
    // esbuild's keepNames may wrap inner functions in __name(); the worker has no such helper.
    const source = `const __name = (f) => f;\n(${hashWorker.toString()})(require);`;
    this.worker = new Worker(source, {
      eval: true,
      execArgv: [],
      workerData: { words: this.words.buffer, offsets: this.offsets.buffer, digest: this.digestBytes.buffer, ring },
    });
    // Its failure reaches the main thread through the shared state (an 'error' event could not:
    // the main thread may be blocked waiting); an idle thread must not keep the process alive.
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  /** Starts hashing a new stream from its first byte (the thread must be idle). */
  start(): void {
    this.announced = 0;
    Atomics.store(this.offsets, END, 0n);
    Atomics.store(this.offsets, HASHED, 0n);
    Atomics.store(this.words, STATE, HASHING);
    this.worker.postMessage(null);
  }

  /** True when the thread died (it is then of no further use). */
  get dead(): boolean {
    return Atomics.load(this.words, STATE) === DEAD;
  }

  /**
   * The stream's bytes up to `end` (absolute offset) are in the ring. A sleeping thread is
   * woken once a MiB has gathered (each wake costs tens of microseconds here), and by
   * `waitHashed` and `finish`, which need it to go on.
   */
  advance(end: number): void {
    Atomics.store(this.offsets, END, BigInt(end));
    if (end - this.announced >= WAKE_EVERY) this.bump();
  }

  /** Stream bytes hashed so far. */
  get hashed(): number {
    return Number(Atomics.load(this.offsets, HASHED));
  }

  /** Blocks until the bytes below `limit` are hashed (so the ring may reuse them). */
  waitHashed(limit: number): void {
    for (;;) {
      const h = Atomics.load(this.offsets, HASHED);
      if (Number(h) >= limit) return;
      this.checkAlive();
      if (this.announced < Number(Atomics.load(this.offsets, END))) this.bump();
      Atomics.store(this.words, WAITING, 1);
      if (Atomics.load(this.offsets, HASHED) === h) Atomics.wait(this.offsets, HASHED, h, 1000);
      Atomics.store(this.words, WAITING, 0);
    }
  }

  /** The digest (hex) of every byte advanced to, once hashed; the thread is then idle. */
  finish(): string {
    Atomics.store(this.words, STATE, FINISH);
    this.bump();
    for (;;) {
      const state = Atomics.load(this.words, STATE);
      if (state === READY) break;
      this.checkAlive();
      Atomics.wait(this.words, STATE, state, 1000);
    }
    const hex = Buffer.from(this.digestBytes).toString('hex');
    Atomics.store(this.words, STATE, IDLE);
    return hex;
  }

  /** Stops hashing and waits until the thread no longer reads the ring (or died: then it is terminated). */
  abandon(): void {
    if (Atomics.load(this.words, STATE) === IDLE) return;
    Atomics.store(this.words, STATE, ABANDON);
    this.bump();
    for (;;) {
      const state = Atomics.load(this.words, STATE);
      if (state === IDLE || state === READY) break;
      if (state === DEAD) {
        void this.worker.terminate();
        return;
      }
      Atomics.wait(this.words, STATE, state, 1000);
    }
    Atomics.store(this.words, STATE, IDLE);
  }

  /** Ends the thread (after a failure elsewhere left the pool without its partner). */
  terminate(): void {
    void this.worker.terminate();
  }

  private bump(): void {
    this.announced = Number(Atomics.load(this.offsets, END));
    Atomics.add(this.words, SEQ, 1);
    if (Atomics.load(this.words, SLEEPING) !== 0) Atomics.notify(this.words, SEQ);
  }

  private checkAlive(): void {
    if (Atomics.load(this.words, STATE) === DEAD) {
      void this.worker.terminate();
      throw new StrataError('internal', 'apply layer: the hashing thread died');
    }
  }
}

/** Copies `bytes` into `ring` at stream offset `offset`, wrapping around its end. */
export function copyIntoRing(ring: Buffer, offset: number, bytes: Uint8Array): void {
  for (let from = 0; from < bytes.length; ) {
    const at = (offset + from) % ring.length;
    const n = Math.min(bytes.length - from, ring.length - at);
    ring.set(bytes.subarray(from, from + n), at);
    from += n;
  }
}

/** Ring size for `OffThreadHash`: the bytes the caller may be ahead of the thread. */
const HASH_RING_BYTES = 8 << 20;
const idleHashers = new IdlePool<{ ring: Buffer; thread: HashThread }>((pair) => pair.thread.terminate());

/**
 * The sha256 of a stream computed on a HashThread: `update` copies the bytes into the
 * thread's ring (blocking while it is full) and returns; `digest` waits for the rest.
 * Call `digest` or `abandon` once, after which the thread serves another stream.
 */
export class OffThreadHash {
  private readonly ring: Buffer;
  private readonly thread: HashThread;
  private end = 0;
  private done = false;

  constructor() {
    const pair = idleHashers.take() ?? newPair();
    this.ring = pair.ring;
    this.thread = pair.thread;
    this.thread.start();
  }

  update(chunk: Uint8Array): void {
    const size = this.ring.length;
    for (let from = 0; from < chunk.length; ) {
      // A quarter of the ring at a time, so the thread always has some of it to work on.
      const n = Math.min(chunk.length - from, size / 4);
      this.thread.waitHashed(this.end + n - size);
      copyIntoRing(this.ring, this.end, chunk.subarray(from, from + n));
      from += n;
      this.end += n;
      this.thread.advance(this.end);
    }
  }

  /** The hex digest of every byte updated. */
  digest(): string {
    const hex = this.thread.finish();
    this.release();
    return hex;
  }

  /** Gives up the hash (the stream failed). */
  abandon(): void {
    if (this.done) return;
    this.thread.abandon();
    this.release();
  }

  private release(): void {
    if (this.done) return;
    this.done = true;
    if (this.thread.dead) this.thread.terminate();
    else idleHashers.put({ ring: this.ring, thread: this.thread });
  }
}

function newPair(): { ring: Buffer; thread: HashThread } {
  const shared = new SharedArrayBuffer(HASH_RING_BYTES);
  return { ring: Buffer.from(shared), thread: new HashThread(shared) };
}
