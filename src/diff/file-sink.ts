/**
 * The threads of a large apply: one writes the bodies of new regular files, another hashes the
 * layer stream (the diff_id, hash-thread.ts), while the main thread parses, checks paths and
 * makes directories. Most of an apply is the kernel's work for each file (open, write,
 * futimes, close) and sha256 of the stream; on one thread they add up, here they overlap
 * (measured: bench/diff/README.md).
 *
 * The stream is copied, in big pieces, into a ring of shared memory as it arrives (or read
 * from its file straight into the ring); file bodies are then named by their offset in the
 * stream, so no body is copied twice. The main thread
 * decides everything (path, mode, owner) and queues plain instructions in batches; the worker
 * only carries them out, in order. The caller must `drain()` before it touches any path it
 * queued or reads the result of a queued file: draining blocks until the worker has done all
 * that was queued, then throws the worker's first failure, naming the entry.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type * as Fs from 'node:fs';
import type * as WorkerThreads from 'node:worker_threads';
import { readSync } from 'node:fs';
import { fromSystemError } from '../errdefs/index.ts';
import { copyIntoRing, HashThread } from './hash-thread.ts';
import { IdlePool } from './idle-pool.ts';

/** Bytes of stream the ring holds: what may be in flight between the two threads. */
const RING_BYTES = 8 << 20;
/** A chunk larger than this is appended in pieces, so the ring always has room for the next. */
export const MAX_APPEND = RING_BYTES / 4;
/** A batch is sent once it holds this many instructions or covers this many new bytes. */
const BATCH_OPS = 1024;
const BATCH_BYTES = 256 << 10;
/** Messages the worker may have queued before the main thread waits (instructions without data). */
const MAX_MESSAGES_IN_FLIGHT = 32;

const OP_OPEN = 1;
const OP_WRITE = 2;
const OP_CLOSE = 3;

type Op = number | string | Uint8Array;

/** What the worker posts back: its first failure. */
interface Reply { kind: 'failure'; where: string; message: string; code?: string; errno?: number; syscall?: string }

/**
 * The worker's code, run from source text (`eval`), so it needs no file of its own in the
 * bundle. It may use only the modules it loads with `load` (the worker's `require`: a
 * bundler rewrites calls named `require`).
 */
function sinkWorker(load: (id: string) => unknown): void {
  const { parentPort, workerData } = load('node:worker_threads') as typeof WorkerThreads;
  const shared = workerData as { ctrl: SharedArrayBuffer; ring: SharedArrayBuffer; replies: MessagePort };
  const ctrl = new Int32Array(shared.ctrl);
  // Whatever escapes below must still wake the main thread, which may be blocked waiting.
  process.on('uncaughtException', (err) => {
    shared.replies.postMessage({ kind: 'failure', where: 'apply layer: the second thread', message: String(err) });
    Atomics.store(ctrl, 1, 1);
    Atomics.store(ctrl, 2, 1);
    Atomics.notify(ctrl, 0);
  });
  const fs = load('node:fs') as typeof Fs;
  const ring = new Uint8Array(shared.ring);
  const size = ring.length;
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  let fd = -1;
  let failed = false;
  let where = '';
  let finalMode = -1;
  let uid = -1;
  let gid = -1;
  let mtime = 0;
  const time = (s: number): number | Date => (s >= 0 ? s : new Date(s * 1000));
  const closeQuietly = (): void => {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing
      }
    }
    fd = -1;
  };
  /** Calls `use` with the ring's pieces holding stream bytes [from, to). */
  const pieces = (from: number, to: number, use: (bytes: Uint8Array) => void): void => {
    while (from < to) {
      const at = from % size;
      const n = Math.min(to - from, size - at);
      use(ring.subarray(at, at + n));
      from += n;
    }
  };
  const writeAll = (bytes: Uint8Array): void => {
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
  };
  parentPort!.on('message', (m: { reset?: true; ops?: Op[] }) => {
    if (m.reset === true) {
      closeQuietly();
      failed = false;
      Atomics.store(ctrl, 1, 0);
    } else if (!failed) {
      try {
        const ops = m.ops!;
        for (let i = 0; i < ops.length; ) {
          const op = ops[i++];
          // 1, 2, 3: OP_OPEN, OP_WRITE, OP_CLOSE (this source cannot see the module's constants).
          if (op === 1) {
            where = ops[i++] as string;
            const named = ops[i++] as string | Uint8Array; // a Buffer arrives as a Uint8Array
            const path = typeof named === 'string' ? named : Buffer.from(named.buffer, named.byteOffset, named.length);
            const openMode = ops[i++] as number;
            finalMode = ops[i++] as number;
            uid = ops[i++] as number;
            gid = ops[i++] as number;
            mtime = ops[i++] as number;
            fd = fs.openSync(path, flags, openMode);
          } else if (op === 2) {
            const from = ops[i++] as number;
            pieces(from, from + (ops[i++] as number), writeAll);
          } else {
            if (uid >= 0) fs.fchownSync(fd, uid, gid);
            if (finalMode >= 0) fs.fchmodSync(fd, finalMode); // after chown, which clears setuid/setgid
            fs.futimesSync(fd, time(mtime), time(mtime));
            const closing = fd;
            fd = -1;
            fs.closeSync(closing);
          }
        }
      } catch (err) {
        failed = true;
        closeQuietly();
        const e = err as NodeJS.ErrnoException;
        shared.replies.postMessage({ kind: 'failure', where, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall });
        Atomics.store(ctrl, 1, 1);
      }
    }
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  });
}

/**
 * The file-writing worker, its ring and its control words ([0] messages done, [1] it failed,
 * [2] it is dead), and the hashing thread that reads the same ring.
 */
class SinkThread {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(12));
  readonly ring = new SharedArrayBuffer(RING_BYTES);
  readonly replies: MessagePort;
  readonly worker: Worker;
  readonly hasher = new HashThread(this.ring);
  sent = 0;

  constructor() {
    const channel = new MessageChannel();
    this.replies = channel.port1;
    // esbuild's keepNames may wrap inner functions in __name(); the worker has no such helper.
    const source = `const __name = (f) => f;\n(${sinkWorker.toString()})(require);`;
    this.worker = new Worker(source, {
      eval: true,
      execArgv: [],
      workerData: { ctrl: this.ctrl.buffer, ring: this.ring, replies: channel.port2 },
      transferList: [channel.port2],
    });
    // Its failures reach the main thread through `ctrl` and `replies` (an 'error' event could
    // not: the main thread may be blocked waiting); an idle thread must not keep the process alive.
    this.worker.on('error', () => undefined);
    this.worker.unref();
    this.replies.unref();
  }

  /** Posts a message; returns its sequence number. */
  post(message: object): number {
    this.worker.postMessage(message);
    return ++this.sent;
  }

  /** Blocks until the worker has handled message `seq` (or died: its failure is then waiting in `replies`). */
  waitFor(seq: number): void {
    for (;;) {
      const done = Atomics.load(this.ctrl, 0);
      if (done >= seq || this.dead) return;
      Atomics.wait(this.ctrl, 0, done);
    }
  }

  get dead(): boolean {
    return Atomics.load(this.ctrl, 2) !== 0;
  }

  terminate(): void {
    void this.worker.terminate();
    this.hasher.terminate();
  }

  /** The next reply, if the worker has posted one. */
  reply(): Reply | undefined {
    return receiveMessageOnPort(this.replies)?.message as Reply | undefined;
  }
}

const idle = new IdlePool<SinkThread>((thread) => thread.terminate());

/** Hashes a layer stream and writes queued regular files on worker threads; see the module comment. */
export class FileSink {
  private thread: SinkThread | undefined;
  private readonly ring: Buffer;
  /** Stream bytes in the ring so far (the hashing thread is told of each). */
  private end = 0;
  private ops: Op[] = [];
  /** The lowest stream offset the unsent batch writes from, and how many body bytes it writes. */
  private batchLow = Infinity;
  private batchBytes = 0;
  /** Sent messages and the lowest stream offset each still needs, oldest first. */
  private readonly inFlight: Array<{ seq: number; low: number }> = [];

  /** @param hashing hash the stream (false: the caller knows its digest already). */
  constructor(private readonly hashing = true) {
    this.thread = idle.take() ?? new SinkThread();
    this.ring = Buffer.from(this.thread.ring);
    if (hashing) this.thread.hasher.start();
  }

  /**
   * Appends the next bytes of the layer stream (at most MAX_APPEND): the hashing thread hashes
   * them, and file bodies among them are queued by offset. Blocks while the ring is full.
   * @returns the stream offset of the chunk's first byte.
   */
  append(chunk: Uint8Array): number {
    const start = this.end;
    this.reclaim(start + chunk.length - RING_BYTES);
    copyIntoRing(this.ring, start, chunk);
    this.advance(start + chunk.length);
    return start;
  }

  /**
   * Reads the next bytes of the layer stream from `fd` straight into the ring (at most `max`,
   * never across the ring's end), as `append` would take them. Blocks while the ring is full.
   * @returns a view of the bytes read and their stream offset, or undefined at the end of the file.
   */
  readFrom(fd: number, max: number): { chunk: Buffer; offset: number } | undefined {
    const start = this.end;
    const at = start % RING_BYTES;
    const room = Math.min(max, RING_BYTES - at);
    this.reclaim(start + room - RING_BYTES);
    const n = readSync(fd, this.ring, at, room, null);
    if (n === 0) return undefined;
    this.advance(start + n);
    return { chunk: this.ring.subarray(at, at + n), offset: start };
  }

  /**
   * Queues a new file: created with O_EXCL|O_NOFOLLOW at `path` (its parent must be a real
   * directory inside the target) with `openMode`; after its body, the owner `uid`/`gid` (uid
   * -1: leave it), then `finalMode` (-1: leave it), then the mtime. `where` names it in errors.
   */
  open(where: string, path: string | Buffer, openMode: number, finalMode: number, uid: number, gid: number, mtime: number): void {
    this.ops.push(OP_OPEN, where, path, openMode, finalMode, uid, gid, mtime);
  }

  /** Queues `length` body bytes of the file last opened, at stream offset `from` (appended already). */
  write(from: number, length: number): void {
    if (from < this.batchLow) this.batchLow = from;
    this.batchBytes += length;
    this.ops.push(OP_WRITE, from, length);
  }

  /** Queues the owner, mode and mtime of the file last opened, and its close. */
  close(): void {
    this.ops.push(OP_CLOSE);
    if (this.ops.length >= BATCH_OPS || this.batchBytes >= BATCH_BYTES) this.send();
  }

  /** Blocks until the worker has done everything queued; throws its first failure. */
  drain(): void {
    const thread = this.thread!;
    this.send();
    thread.waitFor(thread.sent);
    this.throwFailure(thread.reply());
  }

  /**
   * Waits for every queued file, then returns the sha256 (hex) of every byte appended ('' when
   * not hashing); throws a failure instead.
   */
  digest(): string {
    this.drain();
    return this.hashing ? this.thread!.hasher.finish() : '';
  }

  /** Waits for the threads (ignoring failures; a file left open is closed) and keeps them for the next layer. */
  release(): void {
    const thread = this.thread;
    if (thread === undefined) return;
    this.thread = undefined;
    thread.waitFor(thread.post({ reset: true }));
    while (thread.reply() !== undefined);
    thread.hasher.abandon();
    if (thread.dead || thread.hasher.dead) thread.terminate();
    else idle.put(thread);
  }

  /** Publishes the stream's new end to the hashing thread; sends a batch that holds many body bytes. */
  private advance(end: number): void {
    this.end = end;
    if (this.hashing) this.thread!.hasher.advance(end);
    if (this.batchBytes >= BATCH_BYTES) this.send();
  }

  /** Sends the batch of file instructions. */
  private send(): void {
    const thread = this.thread!;
    if (this.ops.length === 0) return;
    const seq = thread.post({ ops: this.ops });
    this.inFlight.push({ seq, low: this.batchLow });
    this.ops = [];
    this.batchLow = Infinity;
    this.batchBytes = 0;
    if (this.inFlight.length > MAX_MESSAGES_IN_FLIGHT) this.waitInFlight(-Infinity, MAX_MESSAGES_IN_FLIGHT);
    if (Atomics.load(thread.ctrl, 1) !== 0) {
      // Stop early: the worker skips everything after its failure.
      thread.waitFor(thread.sent);
      this.throwFailure(thread.reply());
    }
  }

  /** Makes the ring's bytes below stream offset `limit` free to overwrite: written and hashed. */
  private reclaim(limit: number): void {
    if (limit <= 0) return;
    if (this.batchLow < limit) this.send();
    this.waitInFlight(limit, Infinity);
    if (this.hashing) this.thread!.hasher.waitHashed(limit);
  }

  /** Waits until no message in flight needs a stream byte below `limit`, and at most `keep` are in flight. */
  private waitInFlight(limit: number, keep: number): void {
    const thread = this.thread!;
    while (this.inFlight.length > 0 && (this.inFlight[0]!.low < limit || this.inFlight.length > keep)) {
      thread.waitFor(this.inFlight[0]!.seq);
      this.inFlight.shift();
    }
  }

  private throwFailure(reply: Reply | undefined): void {
    if (reply?.kind !== 'failure') return;
    const err = Object.assign(new Error(reply.message), { code: reply.code, errno: reply.errno, syscall: reply.syscall });
    throw fromSystemError(err, reply.where);
  }
}
